// Synthetic helpdesk tickets in the shape of examples/data/tickets.jsonl:
//   {"ticket_id":"T…","body":{"text":"…","lang":"en"},"intent":"billing","created":"2026-03-12"}
// Deterministic (seeded). About 5% of rows are exact duplicates of an earlier row's body and
// intent (re-submitted tickets, new ticket_id), ~14% carry HTML markup or entities, ~1% are too
// short, and one line per 20,000 is truncated JSON. Every other text is distinct (it carries a
// per-row order number or reference), so dedupe drops about the 5% and no more.
//
// As a script: node bench/gen-tickets.mjs OUT_DIR [files=10] [rowsPerFile=100000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const INTENTS = {
  billing: ['I was charged twice for my {plan} plan', 'How do I get a refund for {month}?', 'My invoice for {month} shows the wrong amount', 'Why did my card get declined when renewing {plan}?', 'Can I switch from monthly to yearly billing on {plan}?'],
  account: ['I cannot log in after resetting my password', 'How do I enable two-factor authentication?', 'My account got locked after {n} failed attempts', 'How do I change the e-mail on my account?', 'Please delete my account and all my data'],
  shipping: ['My order #{order} has not arrived yet', 'Can I change the delivery address for order #{order}?', 'The parcel arrived damaged, what now?', 'Do you ship to {country}?', 'Tracking for #{order} has not updated in {n} days'],
  product: ['Does the {plan} plan include API access?', 'Is there a dark mode in the mobile app?', 'How many users can share a {plan} workspace?', 'The export to CSV button does nothing', 'Can I import data from a spreadsheet?'],
};
const INTENT_NAMES = Object.keys(INTENTS);
const PLANS = ['Basic', 'Pro', 'Team', 'Enterprise', 'Starter', 'Business', 'Education', 'Nonprofit'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const COUNTRIES = ['Canada', 'Brazil', 'Japan', 'Kenya', 'Norway', 'Germany', 'India', 'Chile'];
const TAILS = ['', ' Thanks!', ' Please help.', ' This is urgent.', ' Any update?', ' Sent from my phone.', ' I already tried restarting the app and clearing the cache, nothing changed.'];

/** mulberry32: small seeded PRNG. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeGenerator(seed = 42) {
  const rand = prng(seed);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  // recent rows that later rows may duplicate (a ring, so memory stays flat)
  const RING = 50_000;
  const ring = new Array(RING);
  let produced = 0;

  const fill = (t, i) =>
    t
      .replace('{plan}', pick(PLANS))
      .replace('{month}', pick(MONTHS))
      .replace('{order}', String(100000 + ((i * 7919) % 9_000_000)))
      .replace('{country}', pick(COUNTRIES))
      .replace('{n}', String(2 + Math.floor(rand() * 8)));

  const dirty = (t) => {
    const r = rand();
    if (r < 0.08) return `<p>${t.replace('refund', '<b>refund</b>')}</p>`;
    if (r < 0.11) return `<div class="msg">${t}<br>--<br><i>sent via web form</i></div>`;
    if (r < 0.14) return `${t} &amp; thanks &mdash; <a href="https://example.com/t">link</a>`;
    if (r < 0.2) return `  ${t}   \t`;
    if (r < 0.24) return t.replace(' ', '\u200b ');
    if (r < 0.27) return t.replace('e', 'e\u0301').normalize('NFD');
    if (r < 0.3) return t.replace(/ /g, '  ');
    return t;
  };

  /** The next ticket as one JSONL line (ticket number i is global across files). */
  return function next(i) {
    const r = rand();
    let rec;
    if (r < 0.05 && produced > 1000) {
      // exact duplicate of an earlier ticket's body and intent
      const prev = ring[Math.floor(rand() * Math.min(produced, RING))];
      rec = { ticket_id: `T${1_000_000 + i}`, body: prev.body, intent: prev.intent, created: prev.created };
    } else if (r < 0.06) {
      rec = { ticket_id: `T${1_000_000 + i}`, body: { text: pick(['ok', 'help', '?', '', 'thx']), lang: 'en' }, intent: pick(INTENT_NAMES), created: '2026-01-01' };
    } else {
      const intent = pick(INTENT_NAMES);
      const n = 1 + Math.floor(rand() * 2);
      const sentences = [];
      for (let k = 0; k < n; k++) sentences.push(fill(pick(INTENTS[intent]), i + k).replace(/([^.?!])$/, '$1.'));
      // a per-row reference keeps distinct tickets distinct after folding
      const text = dirty(`${sentences.join(' ')} (ref ${(i * 2654435761 >>> 0).toString(36)})${pick(TAILS)}`);
      const month = 1 + (i % 12);
      rec = { ticket_id: `T${1_000_000 + i}`, body: { text, lang: 'en' }, intent, created: `2026-${String(month).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}` };
    }
    ring[produced % RING] = rec;
    produced++;
    if (i % 20_000 === 19_999) return '{"ticket_id": "T' + (1_000_000 + i) + '", "body": {"text": "truncated export';
    return JSON.stringify(rec);
  };
}

/**
 * Write `files` files of `rowsPerFile` rows each into `dir` (tickets-000.jsonl, …), starting at
 * file number `firstFile`. Returns bytes written. Pass the same generator to continue a series.
 */
export function writeTickets(dir, { files, rowsPerFile, firstFile = 0, next = makeGenerator() }) {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let f = firstFile; f < firstFile + files; f++) {
    const lines = new Array(rowsPerFile);
    for (let k = 0; k < rowsPerFile; k++) lines[k] = next(f * rowsPerFile + k);
    const data = lines.join('\n') + '\n';
    writeFileSync(join(dir, `tickets-${String(f).padStart(3, '0')}.jsonl`), data);
    bytes += Buffer.byteLength(data);
  }
  return bytes;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, files = '10', rows = '100000'] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: node bench/gen-tickets.mjs OUT_DIR [files=10] [rowsPerFile=100000]');
    process.exit(2);
  }
  const bytes = writeTickets(dir, { files: Number(files), rowsPerFile: Number(rows) });
  console.log(`wrote ${files} × ${rows} rows (${(bytes / 1e6).toFixed(1)} MB) to ${dir}`);
}
