// SPDX-License-Identifier: MIT
/*
 * The page's QR encoder (assets/qr.js) against libqrencode: for each text
 * and level the matrix must equal the one `qrencode -8` draws, module for
 * module, which checks the data encoding, Reed-Solomon blocks, placement,
 * format and version information and the mask choice at once. Runs the
 * script as the page does, in a fresh global scope, without a browser.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import vm from 'node:vm';

import { SOURCE_DIR, matrixFromPath, qrencode } from './harness.mjs';

function loadEncoder() {
	const scope = vm.createContext({});

	vm.runInContext(readFileSync(path.join(SOURCE_DIR, 'assets', 'qr.js'),
				     'utf8'), scope);
	return scope;
}

function rows(code) {
	return Array.from({ length: code.size }, (_, y) =>
		Array.from(code.dark.subarray(y * code.size,
					      (y + 1) * code.size)));
}

const qr = loadEncoder();

/* Lengths chosen to land in every version 1..10 at both levels. */
const VECTORS = [
	'a',
	'hello',
	'http://192.168.4.1:8080/',
	'http://distiller-a1b2.local:8080/',
	'https://a1b2.devices.pamir.ai',
	'https://rnxyz-203-0-113-7.a.free.pinggy.link',
	'Grüße aus der Küche, café ☕ 🙂',
	'https://example.org/' + 'x'.repeat(60),
	'0123456789'.repeat(9),
	'https://example.org/?q=' + 'ab%20cd&'.repeat(14),
	'u'.repeat(115),
	'Z'.repeat(150),
	'y'.repeat(170),
	'w'.repeat(190),
	'v'.repeat(213)
];

for (const level of ['M', 'L']) {
	for (const text of VECTORS) {
		test(`level ${level}, ${Buffer.byteLength(text)} bytes: ` +
		     JSON.stringify(text.slice(0, 24)), () => {
			const want = qrencode(text, level);
			const got = qr.qrEncode(text, level);

			assert.equal(got.size, want.length, 'version');
			assert.deepEqual(rows(got), want);
		});
	}
}

test('every version from 1 to 10 is reached at level M', () => {
	const sizes = new Set(VECTORS.map((t) => qr.qrEncode(t, 'M').size));

	for (let v = 1; v <= 10; v++)
		assert.ok(sizes.has(17 + 4 * v), `version ${v} untested`);
});

test('text beyond version 10 is refused, not truncated', () => {
	const tooLong = { name: 'RangeError' };	/* from another realm */

	assert.equal(qr.qrEncode('v'.repeat(213), 'M').size, 57);
	assert.throws(() => qr.qrEncode('v'.repeat(214), 'M'), tooLong);
	assert.equal(qr.qrEncode('v'.repeat(271), 'L').size, 57);
	assert.throws(() => qr.qrEncode('v'.repeat(272), 'L'), tooLong);
});

test('the SVG path draws exactly the dark modules', () => {
	const text = 'https://a1b2.devices.pamir.ai';
	const code = qr.qrEncode(text, 'M');

	assert.deepEqual(matrixFromPath(qr.qrPath(code), code.size),
			 qrencode(text, 'M'));
});
