// Imported first by Ink tests: chalk reads FORCE_COLOR when it loads, so frames come out without
// ANSI; and Ink only draws live frames outside CI (it reads CI when it loads), which these tests
// are about — `ftr` itself never uses Ink in CI.
process.env.FORCE_COLOR = '0';
process.env.CI = '0';
process.env.CONTINUOUS_INTEGRATION = '0';
