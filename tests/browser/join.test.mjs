// SPDX-License-Identifier: MIT
/*
 * Joining a network from the setup page, as a person does it, on a phone
 * and on a desktop viewport, against the real daemon in simulated mode
 * (the NetworkManager double: "HomeNet" takes correct-horse, "Neighbour"
 * always refuses the password, "CoffeeShop Free" is open and "Attic" is
 * hidden). Each test gets its own daemon, so states never leak between
 * them. Screenshots of every step go to $DISTILLER_ARTIFACTS/browser.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as harness from './harness.mjs';
import { DESKTOP, JOIN_TIMEOUT_MS, PHONE, api, launch, shot, visible,
	 weight } from './harness.mjs';

const PASSWORD = 'correct-horse';
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

const withPage = (name, device, body) =>
	harness.withPage(browser, name, device, body);

async function openList(session, daemon) {
	const { page } = session;

	await page.goto(daemon.base + '/');
	await visible(page, 'v-list');
	await page.locator('#nets li').first().waitFor();
}

const network = (page, ssid) =>
	page.locator('#nets button').filter({ hasText: ssid }).first();

/* After the 202 the page navigates; it ends on success or the list. */
async function joined(session, daemon, ssid) {
	const { page } = session;

	await page.waitForURL(/\/\?session=[0-9a-f-]{36}$/);
	await visible(page, 'v-done', JOIN_TIMEOUT_MS);

	const { json: s } = await api(daemon, 'GET', '/api/status');

	assert.equal(s.state, 'CONNECTED');
	assert.equal(s.ssid, ssid);
	assert.match(s.ip_address, /^\d+\.\d+\.\d+\.\d+$/);
	assert.equal(await page.textContent('#h-done'), `Connected to ${ssid}`);

	const how = await page.textContent('#how');
	const port = `:${daemon.port}/`;

	assert.ok(how.includes(`http://${s.hostname}.local${port}`), how);
	assert.ok(how.includes(`http://${s.ip_address}${port}`), how);
	assert.ok(how.includes(`The hotspot ${s.ap_ssid} disappears`), how);
	assert.ok(how.includes(`Join ${ssid}`), how);
	assert.equal(await page.evaluate(() => document.activeElement.id),
		     'h-done', 'focus moves to the outcome');
	return s;
}

/* The progress the page showed, from its own record of the live region. */
async function assertProgress(page) {
	const steps = await page.evaluate(() => window.__steps);

	assert.ok(steps.includes('CONNECTING'),
		  `progress shown: ${steps.join(' → ')}`);
	assert.deepEqual(steps, [...steps].sort((a, b) =>
		['SWITCHING', 'CONNECTING', 'CONNECTED'].indexOf(a) -
		['SWITCHING', 'CONNECTING', 'CONNECTED'].indexOf(b)),
		'steps in order');
}

for (const device of [PHONE, DESKTOP]) {
	test(`${device.name}: choose HomeNet, type the password, see success`,
	     () => withPage('join', device, async (session, daemon) => {
		const { page } = session;

		await openList(session, daemon);
		assert.ok(await weight(session) < 30 * 1024, 'page weight');
		await shot(session, '1-list');

		const home = network(page, 'HomeNet');

		/* name, badges, then the bars' text alternative */
		assert.match(await home.textContent(), new RegExp(
			'^HomeNet(In use)?(WPA|WPA2|WPA3|WPA2/WPA3), ' +
			'signal [0-4] of 4$'));
		await home.click();
		await visible(page, 'v-join');
		assert.equal(await page.textContent('#h-join'), 'Join HomeNet');
		assert.equal(await page.evaluate(() =>
			document.activeElement.id), 'pass');
		await page.fill('#pass', PASSWORD);
		await page.click('#show');
		assert.equal(await page.getAttribute('#pass', 'type'), 'text');
		assert.equal(await page.getAttribute('#show', 'aria-pressed'),
			     'true');
		await shot(session, '2-password');
		await page.click('#show');
		assert.equal(await page.getAttribute('#pass', 'type'),
			     'password');
		await page.click('#go');
		await page.waitForURL(/session=/);
		await visible(page, 'v-prog');
		await shot(session, '3-progress');
		await joined(session, daemon, 'HomeNet');
		await assertProgress(page);
		await shot(session, '4-success');
	}));
}

test('phone: wrong password shows the reason and the list again',
     () => withPage('wrong-password', PHONE, async (session, daemon) => {
	const { page } = session;

	await openList(session, daemon);
	await network(page, 'Neighbour').click();
	await page.fill('#pass', 'not-the-password');
	await page.click('#go');
	await page.waitForURL(/session=/);
	await visible(page, 'fail', JOIN_TIMEOUT_MS);
	await visible(page, 'v-list');
	await page.locator('#nets li').first().waitFor();

	const { json: s } = await api(daemon, 'GET', '/api/status');
	const reason = await page.textContent('#fail');

	assert.notEqual(s.state, 'CONNECTED');
	assert.ok(s.error, 'the daemon keeps the reason');
	assert.ok(reason.includes(s.error), `${reason} / ${s.error}`);
	assert.ok(reason.includes('Neighbour'), reason);
	assert.equal(await page.evaluate(() => document.activeElement.id),
		     'fail', 'focus moves to the reason');
	assert.equal(new URL(page.url()).search, '', 'session left behind');
	await shot(session, 'wrong-password');

	/* Try again straight from the list: HomeNet works. */
	await network(page, 'HomeNet').click();
	await page.fill('#pass', PASSWORD);
	await page.press('#pass', 'Enter');
	await joined(session, daemon, 'HomeNet');
}));

test('desktop: a hidden network through "Other network"',
     () => withPage('hidden', DESKTOP, async (session, daemon) => {
	const { page } = session;
	let posted = null;

	page.on('request', (req) => {
		if (req.url().endsWith('/api/connect'))
			posted = req.postDataJSON();
	});
	await openList(session, daemon);
	assert.equal(await network(page, 'Attic').count(), 0,
		     'hidden SSIDs are not listed');
	await page.getByRole('button', { name: 'Other network…' }).click();
	await visible(page, 'f-hidden');
	assert.equal(await page.evaluate(() => document.activeElement.id),
		     'ssid');

	/* Refused in the page before anything is sent. */
	await page.fill('#ssid', 'x'.repeat(33));
	await page.click('#go');
	assert.equal(await page.getAttribute('#ssid', 'aria-invalid'), 'true');
	assert.match(await page.textContent('#ssid-err'), /33 bytes/);
	assert.match(await page.textContent('#pass-err'), /at least 8/);
	assert.equal(posted, null);

	await page.fill('#ssid', 'Attic');
	await page.selectOption('#sec', 'WPA2');
	await page.fill('#pass', PASSWORD);
	await shot(session, 'hidden-form');
	await page.click('#go');
	await joined(session, daemon, 'Attic');
	assert.deepEqual(posted, { ssid: 'Attic', password: PASSWORD,
				   hidden: true });
	await shot(session, 'hidden-success');
}));

test('phone: an open network takes no password; its outcome is shown',
     () => withPage('open', PHONE, async (session, daemon) => {
	const { page } = session;
	let posted = null;

	page.on('request', (req) => {
		if (req.url().endsWith('/api/connect'))
			posted = req.postDataJSON();
	});
	await openList(session, daemon);
	await network(page, 'CoffeeShop Free').click();
	assert.ok(await page.isHidden('#f-pass'), 'no password field');
	assert.match(await page.textContent('#join-sec'), /no password/);
	assert.equal(await page.evaluate(() => document.activeElement.id),
		     'go');
	await page.click('#go');
	await page.waitForURL(/session=/);
	assert.deepEqual(posted, { ssid: 'CoffeeShop Free', password: '' });

	/* The simulated network may refuse a lease: either end is shown. */
	await page.locator('#v-done:not([hidden]), #fail:not([hidden])')
		.waitFor({ timeout: JOIN_TIMEOUT_MS });

	const { json: s } = await api(daemon, 'GET', '/api/status');

	if (s.state === 'CONNECTED') {
		await joined(session, daemon, 'CoffeeShop Free');
	} else {
		assert.ok(s.error, 'a failure has a reason');
		assert.ok((await page.textContent('#fail')).includes(s.error));
		await visible(page, 'v-list');
	}
	await shot(session, 'open-outcome');
}));

test('desktop: keyboard only, Tab and Enter from the list to success',
     () => withPage('keyboard', DESKTOP, async (session, daemon) => {
	const { page } = session;
	const focused = () => page.evaluate(() => {
		const el = document.activeElement;

		return { id: el.id, tag: el.tagName, text: el.textContent };
	});

	await openList(session, daemon);
	for (let i = 0; ; i++) {
		assert.ok(i < 30, 'HomeNet is reachable with Tab');
		await page.keyboard.press('Tab');
		if ((await focused()).text.startsWith('HomeNet'))
			break;
	}
	assert.equal((await focused()).tag, 'BUTTON');
	await page.keyboard.press('Enter');
	assert.equal((await focused()).id, 'pass');

	/* Back returns focus to the network it came from. */
	for (const id of ['show', 'go', 'back']) {
		await page.keyboard.press('Tab');
		assert.equal((await focused()).id, id);
	}
	await page.keyboard.press('Enter');
	await visible(page, 'v-list');
	assert.ok((await focused()).text.startsWith('HomeNet'));

	await page.keyboard.press('Enter');
	await page.keyboard.type('short');
	await page.keyboard.press('Enter');
	assert.equal(await page.getAttribute('#pass', 'aria-invalid'), 'true');
	assert.equal((await focused()).id, 'pass', 'focus on the bad field');

	await page.keyboard.press('Control+A');
	await page.keyboard.type(PASSWORD);
	await page.keyboard.press('Tab');
	assert.equal((await focused()).id, 'show');
	await page.keyboard.press('Enter');
	assert.equal(await page.getAttribute('#pass', 'type'), 'text');
	await page.keyboard.press('Tab');
	assert.equal((await focused()).id, 'go');
	await shot(session, 'keyboard-form');
	await page.keyboard.press('Enter');
	await joined(session, daemon, 'HomeNet');
}));

test('phone: refreshing the list says how old it is when it is stale',
     () => withPage('refresh', PHONE, async (session, daemon) => {
	const { page } = session;

	await openList(session, daemon);

	const answer = page.waitForResponse((r) =>
		r.url().endsWith('/api/networks?fresh=1'));

	await page.click('#refresh');

	const data = await (await answer).json();

	await page.waitForFunction(() =>
		!document.getElementById('refresh').disabled);

	const note = await page.textContent('#scan');

	assert.ok(note.includes(`${data.networks.length} network`), note);
	if (data.fresh === false) {
		assert.match(note, /List from \d+ s ago/);
		if (data.error)
			assert.ok(note.includes(data.error), note);
	} else {
		assert.doesNotMatch(note, /List from/);
	}
	assert.equal(await page.locator('#nets li').count(),
		     data.networks.length);
}));
