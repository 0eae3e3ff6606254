// SPDX-License-Identifier: MIT
/*
 * Client mode: when the device is already on a network the page is a
 * dashboard (network, IP address, addresses, tunnel URL) with a QR code
 * that must be exactly the symbol qrencode draws for the same URL, and a
 * disconnect that asks first. Runs against the real daemon in simulated
 * mode, joined to HomeNet through the API before the page loads.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { DESKTOP, JOIN_TIMEOUT_MS, PHONE, api, launch, matrixFromPath,
	 qrencode, shot, visible, weight, withPage } from './harness.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function connected(daemon) {
	const { status, json } = await api(daemon, 'POST', '/api/connect',
					   { ssid: 'HomeNet',
					     password: 'correct-horse' });

	assert.equal(status, 202, JSON.stringify(json));
	assert.equal(json.status, 'connecting');
}

const noOverflow = (page) => page.evaluate(() =>
	document.documentElement.scrollWidth <= window.innerWidth);

for (const device of [PHONE, DESKTOP]) {
	test(`${device.name}: dashboard with QR code, disconnect confirmed`,
	     () => withPage(browser, 'dashboard', device,
			    async (session, daemon) => {
		await connected(daemon);
		await dashboard(session, daemon);
	}));
}

async function dashboard(session, daemon) {
	const { page } = session;
	const posts = () => session.requests.filter((r) =>
		r.startsWith('POST ') && r.endsWith('/api/disconnect'));

	/* Loaded mid-join or after it: either way it settles here. */
	await page.goto(daemon.base + '/');
	await visible(page, 'qr', JOIN_TIMEOUT_MS);

	const { json: s } = await api(daemon, 'GET', '/api/status');
	const url = s.tunnel_url || `http://${s.ip_address}:${daemon.port}/`;

	assert.equal(s.state, 'CONNECTED');
	assert.ok(await weight(session) < 30 * 1024, 'page weight');
	assert.equal(await page.textContent('#h-dash'), 'Connected to HomeNet');

	const facts = await page.textContent('#facts');

	assert.ok(facts.includes(`NetworkHomeNet`), facts);
	assert.ok(facts.includes(`IP address${s.ip_address}`), facts);
	assert.ok(facts.includes(`http://${s.hostname}.local:${daemon.port}/`),
		  facts);
	if (s.tunnel_url)
		assert.ok(facts.includes(s.tunnel_url), facts);

	/* The drawn symbol, module for module, against qrencode. */
	const want = qrencode(url, 'M');

	assert.equal(await page.getAttribute('#qr-svg', 'data-url'), url);
	assert.equal(await page.textContent('#qr-cap'), `QR code for ${url}`);
	const d = await page.getAttribute('#qr-path', 'd');

	assert.deepEqual(matrixFromPath(d, want.length), want);
	assert.ok(await noOverflow(page), 'fits the viewport');
	await shot(session, 'dash');

	if (session.device === 'phone') {
		await page.setViewportSize({ width: 320, height: 640 });
		assert.ok(await noOverflow(page), 'fits 320 px');
		await shot(session, 'dash-320');
	}

	/* Cancel first: nothing is sent. */
	await page.click('#disc');
	await page.locator('#confirm[open]').waitFor();
	assert.ok(await page.evaluate(() =>
		document.getElementById('confirm').contains(
			document.activeElement)), 'focus inside the dialog');
	assert.match(await page.textContent('#c-p'), /leaves HomeNet/);
	await shot(session, 'dash-confirm');
	await page.keyboard.press('Escape');
	await page.locator('#confirm:not([open])')
		.waitFor({ state: 'attached' });
	assert.equal(await page.evaluate(() => document.activeElement.id),
		     'disc', 'focus back on the button');
	await page.click('#disc');
	await page.getByRole('button', { name: 'Cancel' }).click();
	assert.deepEqual(posts(), []);
	assert.ok(await page.isVisible('#v-dash'));

	/* Then for real: the device leaves and the page offers the list. */
	await page.click('#disc');
	await page.click('#c-yes');
	await visible(page, 'v-list', JOIN_TIMEOUT_MS);
	assert.equal(posts().length, 1);

	const { json: after } = await api(daemon, 'GET', '/api/status');

	assert.notEqual(after.state, 'CONNECTED');
	await page.locator('#nets li').first().waitFor();
	await shot(session, 'dash-disconnected');
}
