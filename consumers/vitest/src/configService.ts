// The app's configuration service, reduced to what ScriptExecutionService needs: where the
// AI PM user-data folder and its database are. Like the app's, it reads its settings once,
// when the module is first imported, so a test that changes them must mock this module or
// re-import it (vi.resetModules()).
import * as os from 'node:os'
import * as path from 'node:path'

export interface AppConfig {
  userDataDir: string
  dbPath: string
}

function load(): AppConfig {
  const userDataDir = process.env.CONSUMER_APP_USER_DATA ?? path.join(os.homedir(), 'AI_PM')
  return { userDataDir, dbPath: path.join(userDataDir, 'data', 'aipm.db') }
}

const config = load()

export const configService = {
  getUserDataDir(): string {
    return config.userDataDir
  },
  getDbPath(): string {
    return config.dbPath
  },
}
