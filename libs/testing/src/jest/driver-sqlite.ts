// Integration suites in the `int-sqlite` project: entities and migrations resolve SQLite column types.
process.env.GATEHOUSE_TEST_DB = 'sqlite';
delete process.env.DATABASE_URL;
