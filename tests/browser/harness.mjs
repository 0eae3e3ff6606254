// SPDX-License-Identifier: MIT
/*
 * What the browser tests share: the daemon in simulated mode
 * (tests/simulate, the NetworkManager double on a private bus) on a free
 * port, Debian's chromium driven by playwright-core, a record of every
 * request a page makes, and screenshots kept in $DISTILLER_ARTIFACTS.
 *
 * Environment (set by ctest): DISTILLER_DAEMON, DISTILLER_SOURCE_DIR,
 * DISTILLER_ARTIFACTS.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync,
	 readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export const SOURCE_DIR = process.env.DISTILLER_SOURCE_DIR ||
	path.resolve(HERE, '../..');
export const ARTIFACTS = path.join(process.env.DISTILLER_ARTIFACTS ||
	path.join(os.tmpdir(), 'distiller-artifacts'), 'browser');

/* The whole join, with the double's activation delays, fits in this. */
export const JOIN_TIMEOUT_MS = 60000;
const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 20000;

export const PHONE = {
	name: 'phone',
	viewport: { width: 360, height: 740 },
	deviceScaleFactor: 2,
	isMobile: true,
	hasTouch: true
};
export const DESKTOP = {
	name: 'desktop',
	viewport: { width: 1280, height: 800 }
};

mkdirSync(ARTIFACTS, { recursive: true });

function portFree(port) {
	return new Promise((resolve) => {
		const srv = net.createServer();

		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1',
			   () => srv.close(() => resolve(true)));
	});
}

/* A port whose successor is free too: the daemon's tunnel listener. */
async function freePort() {
	for (;;) {
		const srv = net.createServer();
		const port = await new Promise((resolve) => {
			srv.listen(0, '127.0.0.1',
				   () => resolve(srv.address().port));
		});

		await new Promise((resolve) => srv.close(resolve));
		if (port < 65535 && await portFree(port + 1))
			return port;
	}
}

/* Every process below @pid, read from /proc (simulate setsid()s them). */
function descendants(pid) {
	const children = new Map();
	const found = [];

	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry))
			continue;
		try {
			const stat = readFileSync(`/proc/${entry}/stat`,
						  'utf8');
			/* after "pid (comm) state": the parent's pid */
			const ppid = Number(stat.slice(stat.lastIndexOf(')'))
					    .split(' ')[2]);

			children.set(ppid, [...(children.get(ppid) || []),
					    Number(entry)]);
		} catch (e) { /* gone meanwhile */ }
	}
	for (let i = 0, todo = [pid]; i < todo.length; i++) {
		for (const c of children.get(todo[i]) || []) {
			found.push(c);
			todo.push(c);
		}
	}
	return found;
}

function kill(pid, signal) {
	try {
		process.kill(pid, signal);
	} catch (e) { /* already gone */ }
}

function childExit(child) {
	if (child.exitCode !== null || child.signalCode !== null)
		return Promise.resolve();
	return new Promise((resolve) => child.once('exit', resolve));
}

/* Names whose log this process has begun: the first start truncates it. */
const logsBegun = new Set();

/* Lines of sanitizer reports, as the ctest rules of the tree match them. */
const SANITIZER = new RegExp('ERROR: (Address|Leak|Thread)Sanitizer|' +
			     'WARNING: ThreadSanitizer|runtime error: ');

/*
 * Starts `tests/simulate --port N` in its own process group with its state
 * in a temporary directory, and waits until GET /api/status answers. The
 * returned object's stop() ends the whole group; restart() stops it and
 * starts it again on the same port, as a device that comes back.
 */
export async function startDaemon(name) {
	const logPath = path.join(ARTIFACTS, `${name}-daemon.log`);
	const port = await freePort();
	const base = `http://127.0.0.1:${port}`;
	let dir, child, exited;

	async function stop() {
		const below = descendants(child.pid);
		let timer;
		const late = new Promise((resolve) => {
			timer = setTimeout(resolve, STOP_TIMEOUT_MS, 'late');
		});

		/* simulate stops its bus, double and daemon on SIGTERM */
		kill(-child.pid, 'SIGTERM');
		if (await Promise.race([exited, late]) === 'late') {
			kill(-child.pid, 'SIGKILL');
			for (const pid of below)
				kill(pid, 'SIGKILL');
			await exited;
		}
		clearTimeout(timer);
		rmSync(dir, { recursive: true, force: true });
	}

	async function start() {
		const log = openSync(logPath, logsBegun.has(name) ? 'a' : 'w');
		const deadline = Date.now() + START_TIMEOUT_MS;

		logsBegun.add(name);
		dir = mkdtempSync(path.join(os.tmpdir(), 'distiller-browser-'));
		child = spawn(path.join(SOURCE_DIR, 'tests', 'simulate'),
			      ['--port', String(port)], {
			env: {
				...process.env,
				DISTILLER_WEB_HOST: '127.0.0.1',
				DISTILLER_STATE_DIR: path.join(dir, 'state'),
				DISTILLER_RUN_DIR: path.join(dir, 'run'),
				DISTILLER_DNSMASQ_SHARED_DIR:
					path.join(dir, 'dnsmasq')
			},
			detached: true,
			stdio: ['ignore', log, log]
		});
		exited = childExit(child);
		closeSync(log);

		/* The one poll: the HTTP port becoming reachable. */
		for (;;) {
			if (child.exitCode !== null ||
			    child.signalCode !== null) {
				await stop();
				throw new Error('tests/simulate exited ' +
						'early:\n' +
						readFileSync(logPath, 'utf8'));
			}
			try {
				const res = await fetch(`${base}/api/status`);

				if (res.ok) {
					await res.json();
					return;
				}
			} catch (e) { /* not listening yet */ }
			if (Date.now() > deadline) {
				await stop();
				throw new Error(`No answer on ${base} within ` +
						`${START_TIMEOUT_MS} ms:\n` +
						readFileSync(logPath, 'utf8'));
			}
			await new Promise((resolve) =>
				setTimeout(resolve, 100));
		}
	}

	await start();
	return {
		base,
		port,
		host: `127.0.0.1:${port}`,
		log: () => readFileSync(logPath, 'utf8'),
		sanitizerReports: () => readFileSync(logPath, 'utf8')
			.split('\n').filter((line) => SANITIZER.test(line)),
		stop,
		async restart() {
			await stop();
			await start();
		}
	};
}

/*
 * Runs @body(session, daemon) on a fresh daemon and a fresh page for
 * @device; then checks what every test checks (finish()) and that the
 * daemon's log holds no sanitizer report. On failure the page's last
 * screenshot and the daemon's log tail go with the error.
 */
export async function withPage(browser, name, device, body) {
	const daemon = await startDaemon(`${device.name}-${name}`);
	let session;

	try {
		session = await openPage(browser, daemon, device);
		await body(session, daemon);
		await finish(session);
	} catch (err) {
		if (session)
			await shot(session, `${name}-failed`).catch(() => {});
		err.message += '\n--- daemon log ---\n' +
			daemon.log().slice(-4000);
		throw err;
	} finally {
		await daemon.stop();
	}
	assert.deepEqual(daemon.sanitizerReports(), [],
			 `sanitizer reports in ${name}'s daemon log`);
}

export async function api(daemon, method, route, body) {
	const res = await fetch(daemon.base + route, {
		method,
		headers: body ? { 'Content-Type': 'application/json' } : {},
		body: body ? JSON.stringify(body) : undefined
	});

	return { status: res.status, json: await res.json() };
}

export function launch() {
	return chromium.launch({
		executablePath: '/usr/bin/chromium',
		args: ['--no-sandbox', '--headless', '--disable-gpu',
		       '--disable-background-networking',
		       '--disable-component-update', '--disable-sync',
		       '--no-first-run', '--disable-quic']
	});
}

/*
 * A fresh browser context for @device on the daemon: every request is
 * recorded, and one for any other host is refused and kept in .foreign.
 * The page records each progress step it showed in window.__steps.
 */
export async function openPage(browser, daemon, device) {
	const { name, ...options } = device;
	const context = await browser.newContext(options);
	const session = {
		context,
		requests: [],
		foreign: [],
		bodies: [],
		device: name
	};

	await context.route('**/*', (route) => {
		const url = new URL(route.request().url());

		if (url.host === daemon.host)
			return route.continue();
		session.foreign.push(url.href);
		return route.abort('blockedbyclient');
	});
	context.on('request', (req) => session.requests.push(
		`${req.method()} ${req.url()}`));
	context.on('response', (res) => session.bodies.push(
		res.body().then((b) => b.length, () => 0)));
	context.on('websocket', (ws) =>
		session.requests.push(`WS ${ws.url()}`));
	await context.addInitScript(() => {
		window.__steps = [];
		new MutationObserver(() => {
			const now = document.querySelector('#steps li.now');
			const s = now && !now.closest('[hidden]') &&
				now.dataset.s;

			if (s && window.__steps.at(-1) !== s)
				window.__steps.push(s);
		}).observe(document, { subtree: true, childList: true,
				       attributes: true });
	});
	session.page = await context.newPage();
	session.errors = [];
	session.page.on('pageerror', (e) => session.errors.push(e.message));
	return session;
}

/* Bytes of every response body so far, uncompressed. */
export async function weight(session) {
	const sizes = await Promise.all(session.bodies);

	return sizes.reduce((a, b) => a + b, 0);
}

/* What every test checks last: only the daemon was asked, no errors. */
export async function finish(session) {
	assert.deepEqual(session.foreign, [], 'requests to other hosts');
	assert.deepEqual(session.errors, [], 'errors in the page');
	await session.context.close();
}

export function shot(session, step) {
	return session.page.screenshot({
		path: path.join(ARTIFACTS, `${session.device}-${step}.png`),
		fullPage: true
	});
}

export const visible = (page, id, timeout) =>
	page.locator(`#${id}:not([hidden])`).waitFor({ timeout });

/* The matrix `qrencode -8` draws for @text, as rows of 0 and 1. */
export function qrencode(text, level = 'M') {
	const out = execFileSync('qrencode', ['-8', '-l', level, '-m', '0',
				 '-t', 'ASCII', text]).toString();

	return out.split('\n').filter((row) => row.length).map((row) =>
		Array.from(row.match(/../g), (cell) => cell === '##' ? 1 : 0));
}

/* Rows of 0 and 1 back from the page's SVG path (see assets/qr.js). */
export function matrixFromPath(d, size) {
	const rows = Array.from({ length: size }, () => Array(size).fill(0));

	for (const m of d.matchAll(/M(\d+) (\d+)h(\d+)v1h-\3z/g))
		for (let i = 0; i < Number(m[3]); i++)
			rows[Number(m[2])][Number(m[1]) + i] = 1;
	return rows;
}
