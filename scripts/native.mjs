#!/usr/bin/env node
/**
 * `npm run native`: installs the native TensorFlow backend (@tensorflow/tfjs-node) into
 * `.ftr-native/` beside the project's node_modules, where ftr's backend loader looks for it.
 *
 * tfjs-node's install script downloads libtensorflow 2.9.1 from Google's storage and, failing
 * that, cannot build. Offline, a TensorFlow wheel has everything it needs: libtensorflow_cc.so.2
 * exports every TF_* / TFE_* function the binding calls, and the wheel ships the C headers. So:
 * wheel → `include/` + `lib/` tarball → served from a throwaway `python3 -m http.server` on
 * 127.0.0.1 → TFJS_NODE_BASE_URI points the install script at it, and node-gyp builds the binding
 * against Node's installed headers (npm_config_nodedir=/usr, no header download).
 *
 *   npm run native                       tensorflow-cpu from pip's index (the local one here)
 *   npm run native -- --from FILE        a libtensorflow tarball (include/ + lib/) or a TF wheel
 *   npm run native -- --online           the normal install: the script downloads libtensorflow
 *   npm run native -- --gpu --online     @tensorflow/tfjs-node-gpu (CUDA machines)
 *   npm run native -- --check            only say whether the backend is installed and loads
 *
 * The project's node_modules is left alone (no package.json change, `npm ci` unaffected): the
 * prefix gets its own package.json, and its copy of @tensorflow/tfjs* becomes links to the
 * project's, so that the binding registers its kernels with the very tfjs ftr imports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, lstatSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = process.env.FTR_NATIVE_DIR ? resolve(process.env.FTR_NATIVE_DIR) : join(ROOT, '.ftr-native');
const TFJS_VERSION = '4.22.0';
/** the libtensorflow version tfjs-node 4.22 asks for: names the tarball and the library file it checks */
const LIBTF_VERSION = '2.9.1';
const TF_WHEEL = process.env.FTR_TF_WHEEL_SPEC ?? 'tensorflow-cpu==2.21.0';

function usage(code) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith(' *   npm')).map((l) => l.slice(3)).join('\n'));
  process.exit(code);
}

function parseArgs(argv) {
  const o = { from: undefined, online: false, gpu: false, check: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--from') o.from = argv[++i];
    else if (a.startsWith('--from=')) o.from = a.slice(7);
    else if (a === '--online') o.online = true;
    else if (a === '--gpu') o.gpu = true;
    else if (a === '--check') o.check = true;
    else if (a === '--keep-work') o.keep = true;
    else if (a === '-h' || a === '--help') usage(0);
    else {
      console.error(`native: unknown argument ${a}`);
      usage(2);
    }
  }
  if (o.from !== undefined && !existsSync(o.from)) fail(`--from ${o.from}: no such file (expected a libtensorflow .tar.gz with include/ and lib/, or a tensorflow*.whl)`);
  return o;
}

/** exit 3: no TensorFlow to build from (no local index, no file given); 1: anything else went wrong */
function fail(msg, code = 1) {
  console.error(`native: ${msg}`);
  process.exit(code);
}

const say = (msg) => console.log(`native: ${msg}`);

function run(cmd, args, opts = {}) {
  // inline programs are long: show their first line
  say(`$ ${cmd} ${args.map((a) => (a.includes('\n') ? `'${a.trim().split('\n')[0]} …'` : a)).join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** pip's configured index (the local one on this machine) → the wheel's path, or undefined. */
function pipDownload(work) {
  const dir = join(work, 'wheel');
  // --retries 1: offline, pip would otherwise back off for a minute on an unreachable pypi.org
  const st = run('python3', ['-m', 'pip', 'download', TF_WHEEL, '--no-deps', '--only-binary=:all:', '--retries', '1', '-d', dir]);
  const whl = st === 0 && existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.whl')) : undefined;
  return whl ? join(dir, whl) : undefined;
}

/**
 * A TensorFlow wheel → the libtensorflow layout tfjs-node expects: the two shared libraries,
 * linked under the names the binding links against and the install script checks, and only the
 * headers the binding includes (the wheel's full include/ tree is hundreds of MB).
 */
function libtensorflowFromWheel(whl, out) {
  const py = `
import sys, zipfile, os, shutil
whl, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(whl)
inc = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/xla/tsl/c/')
ctstring = ('tensorflow/include/tsl/platform/ctstring', 'tensorflow/include/tensorflow/core/platform/ctstring',
            'tensorflow/include/tensorflow/tsl/platform/ctstring')
libs = {'tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2'}
n = 0
for i in z.infolist():
    name = i.filename
    if name.endswith('/'): continue
    if name.startswith(inc) or name.startswith(ctstring):
        dest = os.path.join(out, 'include', name[len('tensorflow/include/'):])
    elif name in libs:
        dest = os.path.join(out, 'lib', os.path.basename(name))
    else:
        continue
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with z.open(i) as src, open(dest, 'wb') as dst: shutil.copyfileobj(src, dst, 1 << 22)
    n += 1
found = set(os.listdir(os.path.join(out, 'lib'))) if os.path.isdir(os.path.join(out, 'lib')) else set()
missing = [os.path.basename(l) for l in libs if os.path.basename(l) not in found]
if missing: sys.exit('the wheel has no ' + ', '.join(missing) + ': not a TensorFlow 2.x Linux wheel?')
if not os.path.exists(os.path.join(out, 'include/tensorflow/c/c_api.h')): sys.exit('the wheel has no C headers (tensorflow/include/tensorflow/c)')
print(n, 'files')
`;
  say(`unpacking the libraries and C headers of ${whl}`);
  if (run('python3', ['-c', py, whl, out]) !== 0) fail(`could not turn ${whl} into a libtensorflow tree`);
  const lib = join(out, 'lib');
  for (const name of ['libtensorflow.so', 'libtensorflow.so.2', `libtensorflow.so.${LIBTF_VERSION}`]) symlinkSync('libtensorflow_cc.so.2', join(lib, name));
  for (const name of ['libtensorflow_framework.so', `libtensorflow_framework.so.${LIBTF_VERSION}`]) symlinkSync('libtensorflow_framework.so.2', join(lib, name));
}

/** `include/` + `lib/` → the tarball tfjs-node's install script downloads and unpacks into deps/. */
function tarball(tree, dir, gpu) {
  mkdirSync(dir, { recursive: true });
  const name = `libtensorflow-${gpu ? 'gpu' : 'cpu'}-linux-x86_64-${LIBTF_VERSION}.tar.gz`;
  say(`packing ${name} (gzip -1: it is unpacked once, a minute later)`);
  const st = run('sh', ['-c', `tar -C "$1" -cf - include lib | gzip -1 > "$2"`, 'sh', tree, join(dir, name)]);
  if (st !== 0) fail('tar failed');
  return name;
}

/** A throwaway static server on 127.0.0.1 (a free port) for the install script to download from. */
function serve(dir) {
  return new Promise((res, rej) => {
    const p = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) {
        p.stdout.off('data', onData);
        p.stdout.resume();
        p.stderr.resume(); // request log: drained, not shown
        res({ port: Number(m[1]), stop: () => p.kill() });
      }
    };
    p.stdout.on('data', onData);
    p.on('error', rej);
    p.on('exit', (code) => rej(new Error(`python3 -m http.server exited (${code}): ${out}`)));
  });
}

function writePrefix(pkg) {
  mkdirSync(PREFIX, { recursive: true });
  writeFileSync(
    join(PREFIX, 'package.json'),
    JSON.stringify({ name: 'ftr-native', private: true, description: 'the native TensorFlow backend for ftr, installed by `npm run native` (not part of the project\'s dependencies)', dependencies: { [pkg]: TFJS_VERSION } }, null, 2) + '\n',
  );
  writeFileSync(join(PREFIX, '.gitignore'), '*\n');
}

/** The project's tfjs, which the binding must share (one engine, one kernel registry). */
function projectTfjsVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs/package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

/**
 * Replace the prefix's own @tensorflow/tfjs* by links to the project's: the binding then registers
 * its kernels with the very tfjs ftr imports (Node resolves a linked package to its real path:
 * one module, one engine), wherever the prefix is.
 */
function shareProjectTfjs(pkg) {
  const scope = join(PREFIX, 'node_modules/@tensorflow');
  const project = join(ROOT, 'node_modules/@tensorflow');
  for (const d of readdirSync(scope)) {
    if (`@tensorflow/${d}` === pkg) continue;
    rmSync(join(scope, d), { recursive: true, force: true });
    if (existsSync(join(project, d))) symlinkSync(realpathSync(join(project, d)), join(scope, d));
  }
}

function bindingBuilt(pkg) {
  const dir = join(PREFIX, 'node_modules', pkg, 'lib');
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((d) => existsSync(join(dir, d, 'tfjs_binding.node')));
}

/** Load it the way ftr does, in a fresh process: prints the backend and TF's version. */
function check(pkg) {
  const probe = `
process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
const { createRequire } = require('node:module');
const req = createRequire(${JSON.stringify(join(PREFIX, 'package.json'))});
const tfn = req(${JSON.stringify(pkg)});
const tf = require(${JSON.stringify(join(ROOT, 'node_modules/@tensorflow/tfjs'))});
tf.setBackend('tensorflow');
const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
if (y[0] !== 17 || y[1] !== 39) throw new Error('matMul gave ' + Array.from(y));
console.log('backend ' + tf.getBackend() + ': ' + ${JSON.stringify(pkg)} + ' ' + tfn.version['tfjs-node'] + ' on TensorFlow ' + tf.backend().binding.TF_Version + ', 2x2 matMul correct');
`;
  return run(process.execPath, ['-e', probe]) === 0;
}

function du(dir) {
  let n = 0;
  const walk = (p) => {
    const s = lstatSync(p, { throwIfNoEntry: false });
    if (!s) return;
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else n += s.size;
  };
  walk(dir);
  return `${(n / 2 ** 20).toFixed(0)} MB`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const pkg = o.gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
  if (o.check) process.exit(bindingBuilt(pkg) && check(pkg) ? 0 : 1);
  if (process.platform !== 'linux' && !o.online) fail('the offline build is for Linux; elsewhere use `npm run native -- --online` (tfjs-node downloads libtensorflow)');
  const tfjs = projectTfjsVersion();
  if (!tfjs) fail(`the project's @tensorflow/tfjs is not installed (${join(ROOT, 'node_modules')}): run \`npm ci\` first`);
  if (tfjs !== TFJS_VERSION) fail(`the project has @tensorflow/tfjs ${tfjs}, the binding is built for ${TFJS_VERSION}: they must match`);

  const t0 = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'ftr-native-'));
  let server;
  const env = { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir ?? (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined), npm_config_build_from_source: 'true' };
  if (!env.npm_config_nodedir) delete env.npm_config_nodedir;
  try {
    if (!o.online) {
      let served;
      const dl = join(work, 'serve');
      if (o.from && /\.tar\.gz$|\.tgz$/.test(o.from)) {
        mkdirSync(dl);
        served = `libtensorflow-${o.gpu ? 'gpu' : 'cpu'}-linux-x86_64-${LIBTF_VERSION}.tar.gz`;
        symlinkSync(resolve(o.from), join(dl, served));
      } else {
        const whl = o.from ? resolve(o.from) : pipDownload(work);
        if (!whl) fail(`pip could not download ${TF_WHEEL} (no local index, no network?). Give a file: \`npm run native -- --from libtensorflow.tar.gz|tensorflow*.whl\`, or on a machine with internet \`npm run native -- --online\``, 3);
        const tree = join(work, 'libtensorflow');
        libtensorflowFromWheel(whl, tree);
        served = tarball(tree, dl, o.gpu);
        rmSync(tree, { recursive: true, force: true });
        if (!o.from) rmSync(whl, { force: true });
      }
      server = await serve(dl);
      env.TFJS_NODE_BASE_URI = `http://127.0.0.1:${server.port}/libtensorflow-`;
      say(`serving ${served} at ${env.TFJS_NODE_BASE_URI}`);
    }
    rmSync(join(PREFIX, 'node_modules'), { recursive: true, force: true });
    rmSync(join(PREFIX, 'package-lock.json'), { force: true });
    writePrefix(pkg);
    // --foreground-scripts: the binding's build runs here, its output shown (and with an error, seen)
    const st = run('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', '--omit=dev'], { cwd: PREFIX, env });
    if (st !== 0) fail(`npm install ${pkg} failed (exit ${st}); see above`);
    if (!bindingBuilt(pkg)) {
      // an npm that holds back install scripts until approved: run tfjs-node's own install step
      say('the install script did not build the binding: running it explicitly');
      const dir = join(PREFIX, 'node_modules', pkg);
      const args = o.gpu ? ['scripts/install.js', 'gpu'] : ['scripts/install.js'];
      env.PATH = `${join(PREFIX, 'node_modules/.bin')}:${env.PATH}`;
      if (run(process.execPath, args, { cwd: dir, env }) !== 0 || !bindingBuilt(pkg)) fail('building the tfjs-node binding failed; see above');
    }
  } finally {
    server?.stop();
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
  shareProjectTfjs(pkg);
  if (!check(pkg)) fail(`${pkg} installed in ${PREFIX} but does not load; see above`);
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${PREFIX} (${du(PREFIX)}). ftr now trains on \`tensorflow\` (--backend auto); remove the folder to go back to wasm.`);
}

main().catch((e) => fail(e?.stack ?? String(e)));
