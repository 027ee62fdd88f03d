import { AiUseCaseWatchController, WatchAlertsController } from './watch/watch.controller';

export const WATCH_CONTROLLERS = [AiUseCaseWatchController, WatchAlertsController];
