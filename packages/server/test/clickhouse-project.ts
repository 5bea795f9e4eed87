// The server-clickhouse jest project (jest.config.ts): the API-level analytics tests again, with
// every test server storing its events in ClickHouse (chdb in-process, a database per server).
process.env.TALLY_TEST_EVENTS_STORE = 'clickhouse';
