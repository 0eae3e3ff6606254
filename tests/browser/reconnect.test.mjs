// SPDX-License-Identifier: MIT
/*
 * The WebSocket drops whenever the device leaves hotspot mode, so the page
 * must say it lost contact and come back by itself. The daemon is stopped
 * under an open page and started again on the same port: the page shows
 * the loss, retries with back-off, and returns to the live status.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { PHONE, launch, shot, visible, withPage } from './harness.mjs';

let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

test('phone: the page reconnects after the daemon comes back',
     () => withPage(browser, 'reconnect', PHONE, async (session, daemon) => {
	const { page } = session;
	const sockets = [];

	page.on('websocket', (ws) => sockets.push(ws));
	await page.goto(daemon.base + '/');
	await visible(page, 'v-list');
	assert.equal(sockets.length, 1);

	const closed = new Promise((resolve) =>
		sockets[0].on('close', resolve));

	await daemon.stop();
	await closed;
	await visible(page, 'conn');
	assert.match(await page.textContent('#conn'),
		     /Lost contact with the device/);
	await shot(session, 'reconnect-lost');

	await daemon.restart();
	await page.locator('#conn').waitFor({ state: 'hidden',
					      timeout: 30000 });
	assert.ok(sockets.length >= 2, 'a new WebSocket');
	assert.ok(await page.isVisible('#v-list'));
}));
