/**
 * `ftr annotate`: label a cell's rows one at a time with single keys. Pure props and callbacks —
 * the rows, the labels, the decisions made earlier, and a log that records each decision — so
 * it can be driven without the runtime.
 */
import React, { useEffect, useReducer, useRef } from 'react';
import { Box, Text, useInput, useStdin, useStdout, type Key } from 'ink';
import { formatCount } from '../format.js';

/** One answer of the annotator: the label given to an item (null: none). */
export interface Decision {
  item: string;
  label: string | null;
}

export interface AnnotateItem {
  /** the item id written to the annotation file */
  id: string;
  /** what the annotator reads */
  text: string;
  /** shown dim beside the id (e.g. the label the data already has) */
  hint?: string;
}

/** Where decisions go. Both calls are synchronous and throw on failure (the screen then says why). */
export interface AnnotationLog {
  append(d: Decision): void;
  remove(d: Decision): void;
}

export interface AnnotateResult {
  /** decisions on the shown items, over all sessions of this annotator */
  labelled: number;
  skipped: number;
  /** items not decided yet */
  remaining: number;
  /** this session */
  session: { labelled: number; skipped: number; undone: number };
  /** ctrl-c rather than q */
  interrupted: boolean;
}

export interface AnnotateProps {
  /** e.g. "quickstart · unique" */
  title?: string;
  items: AnnotateItem[];
  labels: string[];
  /** this annotator's earlier decisions, oldest first: their items are not asked again, and u can undo them */
  done?: Decision[];
  log: AnnotationLog;
  /** lines shown until the first key (warnings from loading the file) */
  notices?: string[];
  onExit(result: AnnotateResult): void;
  /** terminal size; defaults to the stdout Ink renders to */
  width?: number;
  height?: number;
}

const RESERVED = new Set(['s', 'u', 'q']);
const MAX_LABELS = 9;

/**
 * Key → label: `1`..`9` in order, and a label's first letter (lowercase) when no other label
 * starts with it and it is not one of the command keys s, u, q.
 */
export function labelKeys(labels: string[]): { byKey: Map<string, string>; keysOf: Map<string, string[]> } {
  const byKey = new Map<string, string>();
  const keysOf = new Map<string, string[]>();
  const firsts = labels.map((l) => [...l][0]?.toLowerCase() ?? '');
  labels.slice(0, MAX_LABELS).forEach((label, i) => {
    const keys = [String(i + 1)];
    const f = firsts[i];
    if (/^\p{L}$/u.test(f) && f.length === 1 && !RESERVED.has(f) && firsts.filter((x) => x === f).length === 1) keys.push(f);
    for (const k of keys) byKey.set(k, label);
    keysOf.set(label, keys);
  });
  return { byKey, keysOf };
}

/** Terminal cells a character takes: 2 for wide East Asian characters and most emoji, 0 for combining marks. */
function charWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/** Control characters (escape sequences in the data would drive the terminal) out, tabs to spaces. */
export function displayText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, '    ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Greedy word wrap to `width` terminal cells; words longer than a line are broken. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const para of displayText(text).split('\n')) {
    let line = '';
    let lineW = 0;
    for (const word of para.split(/(\s+)/)) {
      if (!word) continue;
      const ww = textWidth(word);
      if (/^\s+$/.test(word)) {
        if (lineW && lineW + ww < w) {
          line += word;
          lineW += ww;
        } else if (lineW) {
          out.push(line.trimEnd());
          line = '';
          lineW = 0;
        }
        continue;
      }
      if (lineW + ww <= w) {
        line += word;
        lineW += ww;
        continue;
      }
      if (lineW) {
        out.push(line.trimEnd());
        line = '';
        lineW = 0;
      }
      for (const ch of word) {
        const cw = charWidth(ch.codePointAt(0)!);
        if (lineW + cw > w && lineW) {
          out.push(line);
          line = '';
          lineW = 0;
        }
        line += ch;
        lineW += cw;
      }
    }
    out.push(line.trimEnd());
  }
  return out;
}

/** Progress over the shown items: position of the current one, decisions, label counts. */
export function progressOf(items: AnnotateItem[], decisions: Decision[], labels: string[]) {
  const ids = new Set(items.map((i) => i.id));
  const last = new Map<string, string | null>();
  for (const d of decisions) if (ids.has(d.item)) last.set(d.item, d.label);
  const counts = new Map<string, number>(labels.map((l) => [l, 0]));
  let skipped = 0;
  for (const label of last.values()) {
    if (label === null) skipped++;
    else counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const decided = last.size;
  return { total: items.length, decided, labelled: decided - skipped, skipped, counts, decidedIds: last };
}

/** "17 / 240 · 12 labelled · 3 skipped" */
export function progressLine(p: { total: number; decided: number; labelled: number; skipped: number }): string {
  const position = Math.min(p.decided + 1, p.total);
  return `${formatCount(position)} / ${formatCount(p.total)} · ${formatCount(p.labelled)} labelled · ${formatCount(p.skipped)} skipped`;
}

type Status = { kind: 'info' | 'error'; text: string } | undefined;

interface Session {
  decisions: Decision[];
  /** the item undo brought back: shown next even if it comes later in the cell */
  focus?: string;
  status: Status;
  notices: string[];
  session: { labelled: number; skipped: number; undone: number };
  exiting?: AnnotateResult;
}

/** Lines the screen uses besides the text: title, blank, id, blank, counts, legend, status, and one spare. */
const CHROME_LINES = 8;

export function Annotate({ title, items, labels, done = [], log, notices = [], onExit, width, height }: AnnotateProps) {
  const { stdout } = useStdout();
  const { isRawModeSupported } = useStdin();
  const cols = Math.max(20, width ?? (stdout.columns || 80));
  const rows = Math.max(12, height ?? (stdout.rows || 24));
  const keys = labelKeys(labels);
  const ref = useRef<Session>({ decisions: [...done], status: undefined, notices, session: { labelled: 0, skipped: 0, undone: 0 } });
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const s = ref.current;

  const itemIds = new Set(items.map((i) => i.id));
  // derived from the session ref, never from a render's closure: keys can arrive faster than renders
  const derive = () => {
    const p = progressOf(items, s.decisions, labels);
    const current = s.focus && !p.decidedIds.has(s.focus) ? items.find((i) => i.id === s.focus) : items.find((i) => !p.decidedIds.has(i.id));
    return { p, current };
  };
  const { p, current: shownItem } = derive();

  const finish = (interrupted: boolean) => {
    const { p } = derive();
    s.exiting = { labelled: p.labelled, skipped: p.skipped, remaining: p.total - p.decided, session: { ...s.session }, interrupted };
  };

  const onKey = (input: string, key: Key) => {
    if (s.exiting) return;
    if (key.ctrl && input === 'c') return void (finish(true), redraw());
    const k = input.length === 1 ? input.toLowerCase() : input;
    s.notices = [];
    if (k === 'q' || key.escape) return void (finish(false), redraw());
    if (k === 'u') {
      let i = s.decisions.length - 1;
      while (i >= 0 && !itemIds.has(s.decisions[i].item)) i--;
      if (i < 0) {
        s.status = { kind: 'info', text: 'nothing to undo' };
        return redraw();
      }
      const d = s.decisions[i];
      try {
        log.remove(d);
      } catch (e) {
        s.status = { kind: 'error', text: `could not undo: ${(e as Error).message}` };
        return redraw();
      }
      s.decisions.splice(i, 1);
      s.focus = d.item;
      s.session.undone++;
      s.status = { kind: 'info', text: `↶ undid ${d.item} (${d.label ?? 'skipped'})` };
      return redraw();
    }
    const { current } = derive();
    if (!current) return;
    const label = k === 's' ? null : keys.byKey.get(k);
    if (label === undefined) {
      if (input && !key.ctrl && !key.meta) s.status = { kind: 'error', text: `no key \`${input}\` — ${legendText(labels, keys.keysOf)}` };
      return redraw();
    }
    const d: Decision = { item: current.id, label };
    try {
      log.append(d);
    } catch (e) {
      s.status = { kind: 'error', text: `could not save: ${(e as Error).message}` };
      return redraw();
    }
    s.decisions.push(d);
    s.focus = undefined;
    if (label === null) s.session.skipped++;
    else s.session.labelled++;
    s.status = { kind: 'info', text: label === null ? `↷ skipped ${d.item}` : `✔ ${d.item} → ${label}` };
    redraw();
  };

  useInput(onKey, { isActive: isRawModeSupported === true });

  const exiting = s.exiting;
  const exited = useRef(false);
  useEffect(() => {
    if (!exiting || exited.current) return;
    exited.current = true;
    onExit(exiting);
  }, [exiting, onExit]);

  if (exiting) {
    return (
      <Text>
        {exiting.interrupted ? 'interrupted' : 'done'}: {formatCount(exiting.session.labelled)} labelled, {formatCount(exiting.session.skipped)} skipped
        {exiting.session.undone ? `, ${formatCount(exiting.session.undone)} undone` : ''} this session · {formatCount(exiting.labelled)} labelled, {formatCount(exiting.skipped)} skipped,{' '}
        {formatCount(exiting.remaining)} left of {formatCount(p.total)}
      </Text>
    );
  }

  const legend = legendLines(labels, keys.keysOf, cols);
  const countsLine = labels.map((l) => `${l} ${formatCount(p.counts.get(l) ?? 0)}`).join(' · ');
  const status = s.notices.length ? { kind: 'info' as const, text: s.notices.join(' · ') } : s.status;
  const textRows = Math.max(3, rows - CHROME_LINES - (legend.length - 1));
  const textWidthCols = cols - 2;

  let body: React.ReactNode;
  if (!isRawModeSupported) {
    body = <Text color="red">ftr annotate needs an interactive terminal</Text>;
  } else if (!shownItem) {
    body = (
      <Text color="green">
        ✔ all {formatCount(p.total)} rows done — u undo · q quit
      </Text>
    );
  } else {
    const current = shownItem;
    const wrapped = wrapText(current.text, textWidthCols);
    const shown = wrapped.length > textRows ? [...wrapped.slice(0, textRows - 1), `… (${formatCount(wrapped.length - textRows + 1)} more lines)`] : wrapped;
    body = (
      <Box flexDirection="column">
        <Box>
          <Text bold wrap="truncate-end">
            {current.id}
          </Text>
          {current.hint ? (
            <Text dimColor wrap="truncate-end">
              {'  '}
              {current.hint}
            </Text>
          ) : null}
        </Box>
        <Text> </Text>
        <Box flexDirection="column" paddingLeft={2}>
          {shown.map((line, i) => (
            <Text key={i} wrap="truncate-end" dimColor={i === textRows - 1 && wrapped.length > textRows}>
              {line || ' '}
            </Text>
          ))}
        </Box>
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={cols}>
      <Box>
        <Text bold wrap="truncate-end">
          {title ? `annotate ${title}  ` : 'annotate  '}
        </Text>
        <Text wrap="truncate-end">{progressLine(p)}</Text>
      </Box>
      <Text> </Text>
      {body}
      <Text> </Text>
      <Text dimColor wrap="truncate-end">
        {countsLine}
      </Text>
      {legend.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l}
        </Text>
      ))}
      {status ? (
        <Text color={status.kind === 'error' ? 'red' : undefined} dimColor={status.kind === 'info'} wrap="truncate-end">
          {status.text}
        </Text>
      ) : null}
    </Box>
  );
}

function legendEntries(labels: string[], keysOf: Map<string, string[]>): string[] {
  return [...labels.filter((l) => keysOf.has(l)).map((l) => `${keysOf.get(l)!.join('/')} ${l}`), 's skip', 'u undo', 'q quit'];
}

function legendText(labels: string[], keysOf: Map<string, string[]>): string {
  return legendEntries(labels, keysOf).join(' · ');
}

/** The key legend, broken into lines that fit the terminal. */
function legendLines(labels: string[], keysOf: Map<string, string[]>, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const e of legendEntries(labels, keysOf)) {
    const next = line ? `${line}   ${e}` : e;
    if (line && textWidth(next) > width) {
      lines.push(line);
      line = e;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}
