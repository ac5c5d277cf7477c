// The renderer never loads the addon; the main process sends it results over IPC.
document.getElementById('root')!.textContent = 'forge-app'
