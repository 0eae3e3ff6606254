/* SPDX-License-Identifier: MIT */
/*
 * A compact QR Code encoder: byte mode, error correction level M or L,
 * versions 1 to 10 (up to 213 bytes at M), enough for a tunnel URL. The
 * mask is chosen with libqrencode's penalty rules, so the symbol matches
 * what `qrencode -8` draws for the same text and level.
 *
 * qrEncode(text, level) returns { size, dark }: dark holds size * size
 * modules row by row, 1 for dark. It throws a RangeError when the text
 * does not fit. qrPath(code) returns SVG path data, one unit per module.
 */
'use strict';

((root) => {
	/* versions 1..10: EC codewords per block and block count */
	const EC = { M: [10, 16, 26, 18, 24, 16, 18, 22, 22, 26],
		     L: [7, 10, 15, 20, 26, 18, 20, 24, 30, 18] };
	const NB = { M: [1, 1, 1, 2, 2, 4, 4, 4, 5, 5],
		     L: [1, 1, 1, 1, 1, 2, 2, 2, 2, 4] };
	/* true where mask m flips module (x, y) */
	const MASKS = [
		(x, y) => (x + y) % 2 === 0,
		(x, y) => y % 2 === 0,
		(x) => x % 3 === 0,
		(x, y) => (x + y) % 3 === 0,
		(x, y) => (Math.floor(y / 2) + Math.floor(x / 3)) % 2 === 0,
		(x, y) => x * y % 2 + x * y % 3 === 0,
		(x, y) => (x * y % 2 + x * y % 3) % 2 === 0,
		(x, y) => ((x + y) % 2 + x * y % 3) % 2 === 0
	];
	const EXP = [];
	const LOG = [];

	for (let i = 0, x = 1; i < 255; i++, x = x << 1 ^ (x > 127 ? 0x11d : 0))
		LOG[EXP[i] = EXP[i + 255] = x] = i;

	const mul = (a, b) => a && b ? EXP[LOG[a] + LOG[b]] : 0;

	/* EC codewords of @data: its remainder by the generator of degree n */
	function rs(data, n) {
		const gen = [1];
		const rem = Array(n).fill(0);

		for (let i = 0; i < n; i++) {
			gen.push(0);
			for (let j = gen.length - 1; j > 0; j--)
				gen[j] ^= mul(gen[j - 1], EXP[i]);
		}
		for (const b of data) {
			const f = b ^ rem.shift();

			rem.push(0);
			for (let j = 0; j < n; j++)
				rem[j] ^= mul(gen[j + 1], f);
		}
		return rem;
	}

	function bch(value, poly, shift) {
		const top = Math.clz32(poly);
		let r = value << shift;

		while (Math.clz32(r) <= top)
			r ^= poly << (top - Math.clz32(r));
		return value << shift | r;
	}

	/* N1 and N3 of one line as libqrencode counts them; runs start light */
	function linePenalty(line) {
		const runs = [0];
		let score = 0;

		for (const d of line) {
			if (d !== (runs.length + 1) % 2)
				runs.push(0);
			runs[runs.length - 1]++;
		}
		runs.forEach((r, i) => {
			const f = r / 3;
			const at = (k) => runs[i + k] === f;

			if (r >= 5)
				score += r - 2;
			if (i % 2 && i >= 3 && i < runs.length - 2 &&
			    !(r % 3) && at(-2) && at(-1) && at(1) && at(2) &&
			    (i === 3 || runs[i - 3] >= 4 * f ||
			     i + 4 >= runs.length || runs[i + 3] >= 4 * f))
				score += 40;
		});
		return score;
	}

	/* data codewords, then EC codewords, each interleaved by block */
	function codewords(bytes, raw, ecl, nb, cap, wide) {
		const bits = [];
		const put = (val, len) => {
			while (len--)
				bits.push(val >>> len & 1);
		};
		const data = [];
		const blocks = [];
		const short = Math.floor(raw / nb) - ecl;
		const out = [];

		put(4, 4);
		put(bytes.length, wide ? 16 : 8);
		bytes.forEach((b) => put(b, 8));
		put(0, Math.min(4, cap * 8 - bits.length));
		put(0, -bits.length & 7);
		for (let i = 0; i < bits.length; i += 8)
			data.push(parseInt(bits.slice(i, i + 8).join(''), 2));
		for (let i = 0; data.length < cap; i ^= 1)
			data.push(i ? 0x11 : 0xec);
		for (let i = 0, at = 0; i < nb; i++)
			blocks.push(data.slice(at, at += short +
					       (i < nb - raw % nb ? 0 : 1)));
		for (let i = 0; i <= short; i++)
			blocks.forEach((b) => i < b.length && out.push(b[i]));
		const ecs = blocks.map((b) => rs(b, ecl));

		for (let i = 0; i < ecl; i++)
			ecs.forEach((e) => out.push(e[i]));
		return out;
	}

	function qrEncode(text, level) {
		const bytes = Array.from(unescape(encodeURIComponent(text)),
					 (c) => c.charCodeAt(0));
		let v, raw, cap;

		level = level === 'L' ? 'L' : 'M';
		for (v = 1; v <= 10; v++) {
			const na = Math.floor(v / 7) + 2;

			/* modules left for data once patterns are drawn */
			raw = (16 * v + 128) * v + 64;
			if (v > 1)
				raw -= (25 * na - 10) * na - 55;
			if (v > 6)
				raw -= 36;
			raw >>= 3;
			cap = raw - NB[level][v - 1] * EC[level][v - 1];
			if (bytes.length + (v < 10 ? 2 : 3) <= cap)
				break;
		}
		if (v > 10)
			throw new RangeError('Text too long for a QR code');

		const words = codewords(bytes, raw, EC[level][v - 1],
					NB[level][v - 1], cap, v > 9);
		const n = 17 + 4 * v;
		const dark = new Uint8Array(n * n);
		const fixed = new Uint8Array(n * n);
		const set = (x, y, on) => {
			dark[y * n + x] = on ? 1 : 0;
			fixed[y * n + x] = 1;
		};
		const square = (cx, cy, r, on) => {
			for (let y = cy - r; y <= cy + r; y++)
				for (let x = cx - r; x <= cx + r; x++)
					if (x >= 0 && y >= 0 && x < n && y < n)
						set(x, y, on(Math.max(
							Math.abs(x - cx),
							Math.abs(y - cy))));
		};
		const format = (mask) => {
			const f = bch((level === 'L') << 3 | mask, 0x537, 10) ^
				0x5412;

			for (let i = 0; i < 15; i++) {
				set(8, i < 6 ? i : i < 8 ? i + 1 : n - 15 + i,
				    f >> i & 1);
				set(i < 8 ? n - 1 - i : i < 9 ? 7 : 14 - i, 8,
				    f >> i & 1);
			}
			set(8, n - 8, 1);
		};

		for (let i = 0; i < n; i++) {
			set(6, i, i % 2 === 0);
			set(i, 6, i % 2 === 0);
		}
		square(3, 3, 4, (d) => d !== 2 && d !== 4);
		square(n - 4, 3, 4, (d) => d !== 2 && d !== 4);
		square(3, n - 4, 4, (d) => d !== 2 && d !== 4);

		const pos = v < 2 ? [] : v < 7 ? [6, 4 * v + 10] :
			[6, 2 * v + 8, 4 * v + 10];

		/* alignment patterns, except on the three finder corners */
		pos.forEach((ax, a) => pos.forEach((ay, b) => {
			if (a + b && (a + b !== pos.length - 1 || a && b))
				square(ax, ay, 2, (d) => d !== 1);
		}));
		if (v > 6) {
			const info = bch(v, 0x1f25, 12);

			for (let i = 0; i < 18; i++) {
				const a = n - 11 + i % 3;
				const b = Math.floor(i / 3);

				set(a, b, info >> i & 1);
				set(b, a, info >> i & 1);
			}
		}
		format(0);

		/* two-module columns, zigzag from the bottom right */
		for (let x = n - 1, k = 0; x > 0; x -= 2) {
			if (x === 6)
				x = 5;
			for (let step = 0; step < n; step++)
				for (let j = 0; j < 2; j++) {
					const y = (x + 1) & 2 ? step :
						n - 1 - step;
					const at = y * n + x - j;

					if (!fixed[at])
						dark[at] = words[k >> 3] >>
							(7 - (k++ & 7)) & 1;
				}
		}

		const flip = (m) => dark.forEach((d, i) => {
			if (!fixed[i] && MASKS[m](i % n, Math.floor(i / n)))
				dark[i] ^= 1;
		});
		let best;
		let bestScore = Infinity;

		for (let m = 0; m < 8; m++) {
			const cols = [];
			let score = 0;
			let total = 0;

			flip(m);
			format(m);
			dark.forEach((p, i) => {
				const x = i % n;

				total += p;
				(cols[x] = cols[x] || []).push(p);
				if (x && i > n && p === dark[i - 1] &&
				    p === dark[i - n] && p === dark[i - n - 1])
					score += 3;
			});
			for (let y = 0; y < n; y++)
				score += linePenalty(dark.subarray(y * n,
								  y * n + n));
			cols.forEach((c) => { score += linePenalty(c); });
			total = Math.floor((200 * total + n * n) / (n * n) / 2);
			score += Math.floor(Math.abs(total - 50) / 5) * 10;
			if (score < bestScore) {
				bestScore = score;
				best = dark.slice();
			}
			flip(m);
		}
		return { size: n, dark: best };
	}

	function qrPath(code) {
		const n = code.size;
		let path = '';

		for (let y = 0; y < n; y++)
			for (let x = 0; x < n; x++) {
				let len = 0;

				while (x + len < n &&
				       code.dark[y * n + x + len])
					len++;
				if (len)
					path += `M${x} ${y}h${len}v1h-${len}z`;
				x += len;
			}
		return path;
	}

	root.qrEncode = qrEncode;
	root.qrPath = qrPath;
})(this);
