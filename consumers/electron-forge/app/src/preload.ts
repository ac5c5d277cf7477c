// The app's preload exposes IPC calls to the renderer; nothing of the addon is loaded here.
export {}
