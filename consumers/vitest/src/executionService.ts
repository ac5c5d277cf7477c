// How the app builds its ScriptExecutionService: the database path comes from the config
// service, not from the caller.
import { ScriptExecutionService } from '../../shared/ScriptExecutionService'
import { configService } from './configService'

export class AppExecutionService extends ScriptExecutionService {
  constructor() {
    super(configService.getDbPath())
  }
}
