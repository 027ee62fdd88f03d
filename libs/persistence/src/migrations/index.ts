import { CreateRegister1764086400000 } from './1764086400000-create-register';

/** Every migration, oldest first. Both drivers run this one set. */
export const MIGRATIONS = [CreateRegister1764086400000];
