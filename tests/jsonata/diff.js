// SPDX-License-Identifier: MIT
// diff.js: the JSONata differential test. Runs every case through the mock's engine
// (jsonata_run, a C driver over ncm_jsonata_eval) and through the reference implementation
// (the jsonata npm package pinned in package-lock.json), and compares: the same JSON result,
// both undefined, or both an error. A case the mock refuses as unsupported (an error whose
// message says "not supported") or as over a limit (code 3) is "not answered". Fails unless every answered case
// agrees, at least 95 % are answered and the corpus holds at least 2000 cases.
//
// Cases: corpus.txt (hand-written, one expression a line, run on the document named by the
// last "@doc" line, or on each of a comma-separated list of them; documents in docs.json)
// plus random expressions generated from the grammar over random documents (gen.js, seeded,
// so every run tests the same cases).
//
// usage: node diff.js <path to jsonata_run> [--seed N] [--random N] [--show N] [--only corpus|random]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const jsonata = require('jsonata');
const gen = require('./gen.js');

const args = process.argv.slice(2);
const opt = (name, def) => {
	const i = args.indexOf('--' + name);
	return i >= 0 ? args[i + 1] : def;
};
const runner = args[0];
const seed = Number(opt('seed', 20261207));
const nrandom = Number(opt('random', 1500));
const show = Number(opt('show', 20));
const only = opt('only', '');

function loadCorpus() {
	const docs = JSON.parse(fs.readFileSync(path.join(__dirname, 'docs.json'), 'utf8'));
	const lines = fs.readFileSync(path.join(__dirname, 'corpus.txt'), 'utf8').split('\n');
	const cases = [];
	let names = ['none'];
	lines.forEach((line, i) => {
		if (line.trim() === '' || line.startsWith('#'))
			return;
		if (line.startsWith('@doc ')) {
			names = line.slice(5).split(',').map((n) => n.trim());
			names.forEach((n) => {
				if (n !== 'none' && !(n in docs))
					throw new Error(`corpus.txt:${i + 1}: unknown document ${n}`);
			});
			return;
		}
		names.forEach((n) => {
			const c = { expr: line, where: `corpus.txt:${i + 1}${names.length > 1 ? ' (' + n + ')' : ''}` };
			if (n !== 'none')
				c.input = docs[n];
			cases.push(c);
		});
	});
	return cases;
}

async function reference(c) {
	try {
		// a fresh copy per case: jsonata-js may change the document it is given (see
		// docs/jsonata.md), and random cases share documents
		const input = c.input === undefined ? undefined : JSON.parse(JSON.stringify(c.input));
		const r = await jsonata(c.expr).evaluate(input);
		if (r === undefined)
			return { u: 1 };
		const text = JSON.stringify(r);
		return text === undefined ? { u: 1 } : { r: JSON.parse(text) };
	} catch (e) {
		return { e: e.code || 'JS', m: e.message };
	}
}

function outcome(x) {
	if ('e' in x)
		return 'error';
	if ('u' in x)
		return 'undefined';
	return JSON.stringify(x.r);
}

async function main() {
	let cases = [];
	if (only !== 'random')
		cases = cases.concat(loadCorpus());
	if (only !== 'corpus')
		cases = cases.concat(gen.cases(seed, nrandom));
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jsonata-diff-'));
	const file = path.join(tmp, 'cases.jsonl');
	fs.writeFileSync(file, cases.map((c) => JSON.stringify({ expr: c.expr, input: c.input })).join('\n') + '\n');
	const run = spawnSync(runner, [file], { maxBuffer: 1 << 30, encoding: 'utf8' });
	fs.rmSync(tmp, { recursive: true, force: true });
	if (run.status !== 0) {
		console.error(`jsonata_run failed (${run.status} ${run.signal}): ${run.stderr}`);
		process.exit(1);
	}
	const mock = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
	if (mock.length !== cases.length) {
		console.error(`jsonata_run answered ${mock.length} of ${cases.length} cases`);
		process.exit(1);
	}
	const stats = { total: cases.length, corpus: 0, random: 0, answered: 0, agree: 0, refused: 0,
		disagree: 0, bothErrors: 0, sameCode: 0, values: 0, undef: 0 };
	const bad = [], refusedList = [];
	for (let i = 0; i < cases.length; i++) {
		const c = cases[i], m = mock[i];
		c.where.startsWith('corpus') ? stats.corpus++ : stats.random++;
		const ref = await reference(c);
		if ('e' in m && (m.c === 3 || (m.c === 2 && m.m.message.includes('not supported')))) {
			stats.refused++;
			refusedList.push({ where: c.where, expr: c.expr, mock: m.m.message, ref: outcome(ref) });
			continue;
		}
		stats.answered++;
		const a = outcome(m), b = outcome(ref);
		if (a === b) {
			stats.agree++;
			if (a === 'error') {
				stats.bothErrors++;
				if (m.e === ref.e)
					stats.sameCode++;
			} else if (a === 'undefined') {
				stats.undef++;
			} else {
				stats.values++;
			}
		} else {
			stats.disagree++;
			bad.push({ where: c.where, expr: c.expr, input: c.input, mock: 'e' in m ? m.m.message : a,
				ref: 'e' in ref ? `${ref.e}: ${ref.m}` : b });
		}
	}
	bad.slice(0, show).forEach((d) => {
		console.log(`DISAGREE ${d.where}: ${d.expr}`);
		if (d.input !== undefined && JSON.stringify(d.input).length < 400)
			console.log(`  input: ${JSON.stringify(d.input)}`);
		console.log(`  mock: ${String(d.mock).slice(0, 300)}`);
		console.log(`  ref:  ${String(d.ref).slice(0, 300)}`);
	});
	if (process.env.JSONATA_DIFF_REFUSED)
		refusedList.forEach((d) => console.log(`REFUSED ${d.where}: ${d.expr}\n  mock: ${d.mock}\n  ref:  ${d.ref.slice(0, 200)}`));
	const pct = (x) => (100 * x / stats.total).toFixed(2);
	console.log(`cases: ${stats.total} (corpus ${stats.corpus}, random ${stats.random}, seed ${seed})`);
	console.log(`answered: ${stats.answered} (${pct(stats.answered)} %), refused: ${stats.refused}`);
	console.log(`agree: ${stats.agree} of ${stats.answered} answered (values ${stats.values}, undefined ${stats.undef}, both errors ${stats.bothErrors}, same error code ${stats.sameCode})`);
	console.log(`disagree: ${stats.disagree}`);
	const ok = stats.disagree === 0 && stats.answered >= 0.95 * stats.total && stats.total >= 2000;
	console.log(`${ok ? 1 : 0} passed, ${ok ? 0 : 1} failed`);
	process.exit(ok ? 0 : 1);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
