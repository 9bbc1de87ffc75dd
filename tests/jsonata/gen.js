// SPDX-License-Identifier: MIT
// gen.js: random JSONata cases for the differential test (diff.js): random JSON documents
// and random expressions from the grammar (paths with predicates, wildcards and binds,
// operators, constructors, conditions, blocks and variables, lambdas, order-by, group-by,
// '~>', and the standard functions), from a seeded generator so every run is the same.
'use strict';

function rng(seed) {
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const r = {
		next,
		int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
		pick: (arr) => arr[Math.floor(next() * arr.length)],
		chance: (p) => next() < p,
	};
	return r;
}

const NAMES = ['a', 'b', 'c', 'name', 'value', 'items', 'price', 'qty', 'tags', 'id'];
const WORDS = ['x', 'y', 'foo', 'bar', 'Hello World', '', 'abc', 'a,b,c', ' padded  ', 'Zürich', '42', '3.5'];

function scalar(r) {
	switch (r.int(0, 6)) {
	case 0: return r.int(-5, 20);
	case 1: return Math.round(r.next() * 1000) / 100;
	case 2: return r.pick(WORDS);
	case 3: return r.chance(0.5);
	case 4: return null;
	default: return r.int(0, 9);
	}
}

function value(r, depth) {
	const k = depth > 2 ? 0 : r.int(0, 5);
	if (k === 3) {
		const n = r.int(0, 4), arr = [];
		const objs = r.chance(0.6);
		for (let i = 0; i < n; i++)
			arr.push(objs ? object(r, depth + 1) : scalar(r));
		return arr;
	}
	if (k === 4)
		return object(r, depth + 1);
	return scalar(r);
}

function object(r, depth) {
	const o = {};
	const n = r.int(1, 5);
	for (let i = 0; i < n; i++)
		o[r.pick(NAMES)] = value(r, depth);
	return o;
}

function gen(r) {
	let depth = 0;
	const name = () => r.pick(NAMES);
	const num = () => String(r.pick([0, 1, 2, 3, -1, 10, 2.5, 0.1]));
	const str = () => JSON.stringify(r.pick(WORDS));
	const lit = () => r.pick([num, str, num, () => r.pick(['true', 'false', 'null'])])();

	function path() {
		let steps = [];
		const n = r.int(1, 3);
		for (let i = 0; i < n; i++) {
			let s = name();
			if (r.chance(0.08))
				s = '*';
			if (r.chance(0.2))
				s += '[' + pred() + ']';
			if (r.chance(0.05))
				s += '[]';
			steps.push(s);
		}
		let p = steps.join('.');
		if (r.chance(0.1))
			p = r.pick(['$.', '$$.', '**.']) + p;
		if (r.chance(0.05))
			p += '#$i[$i < 2]';
		return p;
	}
	function pred() {
		switch (r.int(0, 4)) {
		case 0: return String(r.int(-2, 3));
		case 1: return name() + ' ' + r.pick(['=', '!=', '>', '<']) + ' ' + lit();
		case 2: return '$exists(' + name() + ')';
		case 3: return name();
		default: return expr();
		}
	}
	const fns = [
		() => `$sum(${path()})`, () => `$count(${expr()})`, () => `$max(${path()})`,
		() => `$min(${path()})`, () => `$average(${path()})`, () => `$string(${expr()})`,
		() => `$length($string(${expr()}))`, () => `$uppercase(${expr()})`,
		() => `$lowercase($string(${expr()}))`, () => `$substring($string(${expr()}), ${r.int(-3, 3)}, ${r.int(0, 4)})`,
		() => `$exists(${expr()})`, () => `$keys(${expr()})`, () => `$type(${expr()})`,
		() => `$boolean(${expr()})`, () => `$not(${expr()})`, () => `$number(${expr()})`,
		() => `$abs(${expr()})`, () => `$floor(${expr()})`, () => `$ceil(${expr()})`,
		() => `$round(${expr()}, ${r.int(0, 2)})`, () => `$join($map(${expr()}, $string), ",")`,
		() => `$append(${expr()}, ${expr()})`, () => `$reverse(${expr()})`, () => `$sort(${path()})`,
		() => `$distinct(${expr()})`, () => `$lookup(${expr()}, "${name()}")`, () => `$merge(${path()})`,
		() => `$spread(${expr()})`, () => `$sift(${expr()}, function($v){$v})`,
		() => `$each(${expr()}, function($v, $k){$k & "=" & $string($v)})`,
		() => `$contains($string(${expr()}), ${str()})`, () => `$split($string(${expr()}), ${r.pick(['","', '""', '" "', '/[a-c]/'])})`,
		() => `$trim($string(${expr()}))`, () => `$pad($string(${expr()}), ${r.int(-6, 6)}, "*")`,
		() => `$power(${expr()}, ${r.int(0, 3)})`, () => `$sqrt($abs(${expr()}))`, () => `$zip(${expr()}, ${expr()})`,
		() => `$filter(${expr()}, function($v, $i){$i > 0 or $v})`,
		() => `$map(${expr()}, function($v, $i){[$i, $v]})`,
		() => `$reduce(${expr()}, function($a, $b){$a & $b})`,
		() => `$replace($string(${expr()}), ${r.pick(['"a"', '/[aeiou]/', '/(\\w)(\\w)/'])}, ${r.pick(['"-"', '"$2$1"', '"[$0]"'])})`,
		() => `$match($string(${expr()}), /[a-z]+/)`, () => `$formatBase(${expr()}, ${r.int(2, 16)})`,
		() => `$single(${expr()})`, () => `$boolean(${path()}) ? ${expr()} : ${expr()}`,
		() => `$base64encode($string(${expr()}))`, () => `$encodeUrlComponent($string(${expr()}))`,
		() => `$map(${path()}, $string)`, () => `$map(${expr()}, $power(?, 2))`,
		() => `$filter(${path()}, function($v){$type($v) = "${r.pick(['number', 'string', 'object', 'array'])}"})`,
		() => `$sort(${path()}, function($a, $b){$string($a) > $string($b)})`,
		() => `${path()}@$x.${name()}@$y[$x.${name()} = $y.${name()}].{"x": $x.${name()}, "y": $y.${name()}}`,
		() => `${path()}#$i.{"i": $i, "v": $}`, () => `${path()}#$i[$i % 2 = 0]`,
		() => `$ ~> |${path()}|{"${name()}": ${expr()}}|`, () => `$ ~> |${path()}|{}, ["${name()}"]|`,
		() => `(function($a, $b){$a ${r.pick(['+', '&', '=', '<'])} $b})(${expr()}, ${expr()})`,
		() => `${expr()} ~> $substring(${r.int(0, 2)})`, () => `$keys(${path()}) ~> $join("/")`,
		() => `$string(${expr()}, true)`, () => `$count(**.${name()})`, () => `$spread(${path()}).*`,
		() => `$each(${path()}, function($v, $k){{$k: $v}}) ~> $merge()`,
		() => `$split(${str()}, "")[${r.int(-2, 3)}]`, () => `$number(${r.pick(['"12"', '"-1.5e2"', '"x"', 'true', '"0x10"'])})`,
		() => `[${r.int(-2, 3)}..${r.int(0, 6)}]`, () => `$round(${num()} * ${num()}, ${r.int(-1, 3)})`,
		() => `$exists(${path()}) and $exists(${path()})`, () => `$lookup(${path()}, "${name()}")`,
		() => `*.${name()}`, () => `**[${name()}].${name()}`, () => `${path()}.*`,
		() => `$formatNumber(${expr()}, ${r.pick(['"#,##0.00"', '"0.0#"', '"000"', '"#%"', '"#,###;(#)"'])})`,
		() => `$fromMillis(${r.int(-1e12, 2e12)}, ${r.pick(['"[Y0001]-[M01]-[D01]"', '"[H]:[m01] [P]"', '"[FNn] [D1o] [MNn,*-3]"', '"[Y,2][d001]"'])}${r.chance(0.3) ? ', "' + r.pick(['+0100', '-0530', '+0000']) + '"' : ''})`,
	];
	function expr() {
		depth++;
		let e;
		const k = depth > 3 ? r.int(0, 2) : r.int(0, 16);
		switch (k) {
		case 0: case 1: e = path(); break;
		case 2: e = lit(); break;
		case 3: e = `${expr()} ${r.pick(['+', '-', '*', '/', '%'])} ${expr()}`; break;
		case 4: e = `${expr()} ${r.pick(['=', '!=', '<', '<=', '>', '>=', 'in'])} ${expr()}`; break;
		case 5: e = `${expr()} ${r.pick(['and', 'or'])} ${expr()}`; break;
		case 6: e = `${expr()} & ${expr()}`; break;
		case 7: e = `(${expr()} ? ${expr()} : ${expr()})`; break;
		case 8: e = `[${expr()}, ${expr()}]`; break;
		case 9: e = `{"${name()}": ${expr()}, "${name()}": ${expr()}}`; break;
		case 10: case 11: e = r.pick(fns)(); break;
		case 12: e = `${path()}.(${expr()})`; break;
		case 13: e = `${path()}^(${r.pick(['', '>', '<'])}${name()})`; break;
		case 14: e = `${path()}{${name()}: $count($)}`; break;
		case 15: e = `($v := ${expr()}; ${r.pick(['$v', '[$v]', '$count($v)', '$v.' + name()])})`; break;
		default: e = `${expr()} ~> $${r.pick(['string', 'count', 'exists', 'type', 'keys', 'reverse'])}()`; break;
		}
		depth--;
		return e;
	}
	return expr();
}

function cases(seed, n) {
	const r = rng(seed);
	const out = [];
	let doc;
	for (let i = 0; i < n; i++) {
		if (i % 10 === 0)
			doc = r.chance(0.15) ? value(r, 1) : object(r, 0);
		out.push({ expr: gen(r), input: doc, where: `random:${seed}:${i}` });
	}
	return out;
}

module.exports = { cases };
