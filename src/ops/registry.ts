/** Every op ftr knows, by the name recipes call it. Adding an op = one module + one line here. */
import type { OpDef } from './types.js';
import { jsonl } from './sources/jsonl.js';
import { csv } from './sources/csv.js';
import { json } from './sources/json.js';
import { parquet } from './sources/parquet.js';
import { text } from './sources/text.js';
import { markdown } from './sources/markdown.js';
import { html } from './sources/html.js';
import { email } from './sources/email.js';
import { files } from './sources/files_source.js';
import { http } from './sources/http.js';
import { strip_html } from './clean/strip_html.js';
import { normalize } from './clean/normalize.js';
import { chunk } from './text/chunk.js';
import { keep, drop } from './filter/keep.js';
import { spam } from './filter/spam.js';
import { offensive } from './filter/offensive.js';
import { relevance } from './filter/relevance.js';
import { language } from './filter/language.js';
import { dedupe } from './curate/dedupe.js';
import { dedupe_near } from './curate/dedupe_near.js';
import { decontaminate } from './curate/decontaminate.js';
import { quality } from './curate/quality.js';
import { outliers } from './curate/outliers.js';
import { gibberish } from './curate/gibberish.js';
import { split } from './split/split.js';
import { leakage } from './split/leakage.js';
import { concat } from './combine/concat.js';
import { write } from './export/write.js';
import { bias_detect } from './bias/bias_detect.js';
import { bias_report } from './bias/bias_report.js';
import { reweigh } from './bias/reweigh.js';
import { resample } from './bias/resample.js';
import { counterfactual } from './bias/counterfactual.js';

const ALL: OpDef[] = [jsonl, json, csv, parquet, text, markdown, html, email, files, http, concat, strip_html, normalize, chunk, keep, drop, spam, offensive, relevance, language, dedupe, dedupe_near, decontaminate, quality, outliers, gibberish, split, leakage, bias_detect, bias_report, reweigh, resample, counterfactual, write];

export const registry: Map<string, OpDef> = new Map(ALL.map((op) => [op.name, op]));
