import { POSTGRES_ADMIN_URL } from '../services';
// Integration suites in the `int-postgres` and `e2e` projects: entities resolve PostgreSQL column types.
process.env.GATEHOUSE_TEST_DB = 'postgres';
process.env.DATABASE_URL = POSTGRES_ADMIN_URL;
