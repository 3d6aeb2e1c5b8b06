// Generates the quickstart's small, deliberately messy dataset (deterministic; the output is committed).
import { mkdirSync, writeFileSync } from 'node:fs';

let s = 7;
const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

const intents = {
  billing: ['I was charged twice for my {plan} plan', 'How do I get a refund for {month}?', 'My invoice for {month} shows the wrong amount', 'Why did my card get declined when renewing {plan}?', 'Can I switch from monthly to yearly billing on {plan}?'],
  account: ['I cannot log in after resetting my password', 'How do I enable two-factor authentication?', 'My account got locked after {n} failed attempts', 'How do I change the e-mail on my account?', 'Please delete my account and all my data'],
  shipping: ['My order #{order} has not arrived yet', 'Can I change the delivery address for order #{order}?', 'The parcel arrived damaged, what now?', 'Do you ship to {country}?', 'Tracking for #{order} has not updated in {n} days'],
  product: ['Does the {plan} plan include API access?', 'Is there a dark mode in the mobile app?', 'How many users can share a {plan} workspace?', 'The export to CSV button does nothing', 'Can I import data from a spreadsheet?'],
};
const fill = (t) => t
  .replace('{plan}', pick(['Basic', 'Pro', 'Team', 'Enterprise', 'Starter', 'Business', 'Education', 'Nonprofit']))
  .replace('{month}', pick(['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']))
  .replace('{order}', String(10000 + Math.floor(rand() * 90000)))
  .replace('{country}', pick(['Canada', 'Brazil', 'Japan', 'Kenya', 'Norway']))
  .replace('{n}', String(2 + Math.floor(rand() * 8)))
    .replace(/([^.?!])$/, '$1.')
  .concat(pick(['', '', ' Thanks!', ' Please help.', ' This is urgent.', ' Any update?', ` (ref ${Math.floor(rand() * 1e6)})`, ` Sent from my phone.`]));
const dirty = (t) => {
  const r = rand();
  if (r < 0.12) return `<p>${t.replace('refund', '<b>refund</b>')}</p>`;
  if (r < 0.2) return `  ${t}   \t`;
  if (r < 0.26) return t.replace(' ', '\u200b ');
  if (r < 0.3) return t.replace('e', 'e\u0301').normalize('NFD');
  if (r < 0.33) return t.replace(/ /g, '  ');
  if (r < 0.36) return `${t} &amp; thanks`;
  return t;
};

const tickets = [];
for (let i = 0; i < 320; i++) {
  const intent = pick(Object.keys(intents));
  const body = dirty(fill(pick(intents[intent])));
  tickets.push({ ticket_id: `T${1000 + i}`, body: { text: body, lang: 'en' }, intent, created: `2026-0${1 + (i % 9)}-1${i % 10}` });
}
// exact duplicates (re-submitted tickets) and near-exact ones differing only in case/space
for (let i = 0; i < 30; i++) {
  const t = tickets[Math.floor(rand() * 300)];
  tickets.push({ ...t, ticket_id: `T${2000 + i}`, body: { ...t.body, text: i % 2 ? t.body.text.toUpperCase() : t.body.text } });
}
// rows with no usable text
tickets.push({ ticket_id: 'T3000', body: { text: '', lang: 'en' }, intent: 'billing' });
tickets.push({ ticket_id: 'T3001', body: { text: 'ok', lang: 'en' }, intent: 'account' });
const lines = tickets.map((t) => JSON.stringify(t));
lines.splice(137, 0, '{"ticket_id": "T9999", "body": {"text": "truncated export');
mkdirSync('examples/data', { recursive: true });
writeFileSync('examples/data/tickets.jsonl', lines.join('\n') + '\n');

const faq = [['question', 'category', 'answer']];
for (let i = 0; i < 150; i++) {
  const intent = pick(Object.keys(intents));
  faq.push([dirty(fill(pick(intents[intent]))), intent, pick(['See the help center.', 'Contact support, "we reply within a day".', 'Yes, from the settings page.'])]);
}
faq.push(faq[5].slice(), faq[17].slice());
const csvLines = faq.map((r) => r.map((f) => (/[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(','));
csvLines.splice(60, 0, 'How do I pay by bank transfer?,billing');
writeFileSync('examples/data/faq.csv', csvLines.join('\r\n') + '\r\n');
console.log(`tickets: ${lines.length} lines, faq: ${csvLines.length - 1} rows`);
