import './no-color.js'; // first: chalk reads FORCE_COLOR when it loads
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Annotate, labelKeys, progressLine, wrapText, type AnnotateItem, type AnnotateResult, type AnnotationLog, type Decision } from '../../src/ui/ink/Annotate.js';

afterEach(cleanup);

const ITEMS: AnnotateItem[] = [
  { id: 'T1', text: 'I was charged twice for my plan.', hint: 'tickets' },
  { id: 'T2', text: 'My order has not arrived yet.' },
  { id: 'T3', text: 'How do I reset my password?' },
  { id: 'T4', text: 'Do you ship to Kenya?' },
];
const LABELS = ['billing', 'shipping', 'account'];

/** A fake file layer: the decisions it holds, in order, as the real one keeps them. */
function fakeLog(initial: Decision[] = []): AnnotationLog & { decisions: Decision[]; fail?: string } {
  const log = {
    decisions: [...initial],
    fail: undefined as string | undefined,
    append(d: Decision) {
      if (log.fail) throw new Error(log.fail);
      log.decisions.push(d);
    },
    remove(d: Decision) {
      const i = log.decisions.map((x) => x.item).lastIndexOf(d.item);
      expect(log.decisions[i]).toEqual(d);
      log.decisions.splice(i, 1);
    },
  };
  return log;
}

const tick = () => new Promise((r) => setTimeout(r, 20));

function setup(opts: { items?: AnnotateItem[]; labels?: string[]; done?: Decision[]; height?: number; notices?: string[] } = {}) {
  const log = fakeLog(opts.done);
  const exits: AnnotateResult[] = [];
  const r = render(
    <Annotate
      title="quickstart · unique"
      items={opts.items ?? ITEMS}
      labels={opts.labels ?? LABELS}
      done={opts.done}
      log={log}
      notices={opts.notices}
      onExit={(x) => exits.push(x)}
      width={80}
      height={opts.height ?? 24}
    />,
  );
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      await tick();
    }
  };
  return { ...r, log, exits, press, frame: () => r.lastFrame()! };
}

describe('Annotate screen', () => {
  it('shows the first row, its id, progress, label counts and the key legend', async () => {
    const { frame } = setup();
    await tick();
    const lines = frame().split('\n');
    expect(lines[0]).toBe('annotate quickstart · unique  1 / 4 · 0 labelled · 0 skipped');
    expect(lines[2]).toBe('T1  tickets');
    expect(frame()).toContain('  I was charged twice for my plan.');
    expect(frame()).toContain('billing 0 · shipping 0 · account 0');
    expect(frame()).toContain('1/b billing   2 shipping   3/a account   s skip   u undo   q quit');
  });

  it('labels rows in order with number keys and first letters, writing each decision', async () => {
    const { press, log, frame } = setup();
    await press('1', '2', 'a');
    expect(log.decisions).toEqual([
      { item: 'T1', label: 'billing' },
      { item: 'T2', label: 'shipping' },
      { item: 'T3', label: 'account' },
    ]);
    expect(frame()).toContain('4 / 4 · 3 labelled · 0 skipped');
    expect(frame()).toContain('billing 1 · shipping 1 · account 1');
    expect(frame()).toContain('Do you ship to Kenya?');
    expect(frame()).toContain('✔ T3 → account');
  });

  it('takes keys that arrive faster than the screen redraws, one row each', async () => {
    const { stdin, log } = setup();
    stdin.write('1');
    stdin.write('2');
    stdin.write('3');
    await tick();
    expect(log.decisions.map((d) => d.item)).toEqual(['T1', 'T2', 'T3']);
  });

  it('s skips a row: recorded with no label, counted, not asked again', async () => {
    const { press, log, frame } = setup();
    await press('s');
    expect(log.decisions).toEqual([{ item: 'T1', label: null }]);
    expect(frame()).toContain('2 / 4 · 0 labelled · 1 skipped');
    expect(frame()).toContain('My order has not arrived yet.');
    expect(frame()).toContain('↷ skipped T1');
  });

  it('u undoes the last decision, label or skip, and shows that row again', async () => {
    const { press, log, frame } = setup();
    await press('1', 's', 'u');
    expect(log.decisions).toEqual([{ item: 'T1', label: 'billing' }]);
    expect(frame()).toContain('2 / 4 · 1 labelled · 0 skipped');
    expect(frame()).toContain('My order has not arrived yet.');
    expect(frame()).toContain('↶ undid T2 (skipped)');
    await press('u');
    expect(log.decisions).toEqual([]);
    expect(frame()).toContain('1 / 4 · 0 labelled · 0 skipped');
    expect(frame()).toContain('I was charged twice');
    expect(frame()).toContain('billing 0 · shipping 0 · account 0');
    await press('u');
    expect(frame()).toContain('nothing to undo');
    await press('3');
    expect(log.decisions).toEqual([{ item: 'T1', label: 'account' }]);
  });

  it('q quits: the last frame sums up and onExit gets the counts', async () => {
    const { press, exits, frame } = setup();
    await press('1', 's', '2', 'u', 'q');
    expect(exits).toHaveLength(1);
    expect(exits[0]).toEqual({ labelled: 1, skipped: 1, remaining: 2, session: { labelled: 2, skipped: 1, undone: 1 }, interrupted: false });
    expect(frame()).toBe('done: 2 labelled, 1 skipped, 1 undone this session · 1 labelled, 1 skipped, 2 left of 4');
    await press('1');
    expect(exits).toHaveLength(1);
  });

  it('ctrl-c quits too, marked as interrupted', async () => {
    const { press, exits } = setup();
    await press('\u0003');
    expect(exits[0]).toMatchObject({ interrupted: true });
  });

  it('resumes: rows this annotator already decided are not shown, and u can undo them', async () => {
    const done: Decision[] = [
      { item: 'T1', label: 'billing' },
      { item: 'T3', label: null },
      { item: 'gone', label: 'billing' }, // an item no longer in the cell: not counted, not undone
    ];
    const { press, frame, log } = setup({ done });
    await tick();
    expect(frame()).toContain('3 / 4 · 1 labelled · 1 skipped');
    expect(frame()).toContain('My order has not arrived yet.'); // T2
    expect(frame()).toContain('billing 1 · shipping 0 · account 0');
    await press('2');
    expect(frame()).toContain('Do you ship to Kenya?'); // T4: T3 was skipped before
    await press('u', 'u');
    expect(log.decisions).toEqual([{ item: 'T1', label: 'billing' }, { item: 'gone', label: 'billing' }]);
    expect(frame()).toContain('How do I reset my password?'); // T3, brought back by undo
  });

  it('says when every row is done, and still allows undo', async () => {
    const { press, frame } = setup({ items: ITEMS.slice(0, 1) });
    await press('1');
    expect(frame()).toContain('✔ all 1 rows done — u undo · q quit');
    await press('2');
    expect(frame()).toContain('1 / 1 · 1 labelled');
    await press('u');
    expect(frame()).toContain('I was charged twice');
  });

  it('names a key it does not know, and shows a failed write without moving on', async () => {
    const { press, frame, log } = setup();
    await press('x');
    expect(frame()).toContain('no key `x`');
    log.fail = 'EACCES: permission denied';
    await press('1');
    expect(frame()).toContain('could not save: EACCES: permission denied');
    expect(frame()).toContain('1 / 4 · 0 labelled');
    log.fail = undefined;
    await press('1');
    expect(log.decisions).toEqual([{ item: 'T1', label: 'billing' }]);
  });

  it('wraps long text and cuts it to the terminal height, saying how much is left', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
    const { frame } = setup({ items: [{ id: 'L', text: long }], height: 12 });
    await tick();
    const lines = frame().split('\n');
    expect(lines.length).toBeLessThan(12);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(frame()).toMatch(/… \(\d+ more lines\)/);
    expect(frame()).toContain('word0 word1');
  });

  it('shows load warnings until the first key', async () => {
    const { press, frame } = setup({ notices: ['dropped a partial last line'] });
    await tick();
    expect(frame()).toContain('dropped a partial last line');
    await press('1');
    expect(frame()).not.toContain('dropped a partial last line');
  });
});

describe('annotate helpers', () => {
  it('keys: 1..9 in order, plus a first letter when unique and not s/u/q', () => {
    const { byKey, keysOf } = labelKeys(['positive', 'negative', 'neutral', 'spam', 'Other']);
    expect(keysOf.get('positive')).toEqual(['1', 'p']);
    expect(keysOf.get('negative')).toEqual(['2']);
    expect(keysOf.get('neutral')).toEqual(['3']);
    expect(keysOf.get('spam')).toEqual(['4']); // s is skip
    expect(keysOf.get('Other')).toEqual(['5', 'o']);
    expect(byKey.get('o')).toBe('Other');
    expect(byKey.has('n')).toBe(false);
  });

  it('progress line', () => {
    expect(progressLine({ total: 240, decided: 16, labelled: 12, skipped: 4 })).toBe('17 / 240 · 12 labelled · 4 skipped');
    expect(progressLine({ total: 2400, decided: 2400, labelled: 2400, skipped: 0 })).toBe('2,400 / 2,400 · 2,400 labelled · 0 skipped');
  });

  it('wraps on words, breaks long words, keeps paragraphs, strips control characters', () => {
    expect(wrapText('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('one\n\ntwo', 10)).toEqual(['one', '', 'two']);
    expect(wrapText('red \u001b[31mtext', 20)).toEqual(['red [31mtext']);
    expect(wrapText('日本語日本語', 6)).toEqual(['日本語', '日本語']);
  });
});
