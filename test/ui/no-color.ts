// Imported first by Ink tests: chalk reads FORCE_COLOR when it loads, so frames come out without ANSI.
process.env.FORCE_COLOR = '0';
