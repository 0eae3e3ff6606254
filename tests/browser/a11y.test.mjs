// SPDX-License-Identifier: MIT
/*
 * Every view of the setup page checked with axe-core (WCAG 2.1 A and AA
 * rules plus axe's best practices) as a person walks through it on a
 * phone: the list, the join form with its errors, the hidden network
 * form, progress, the outcome, the dashboard and its confirmation. axe is
 * injected from the test's own npm packages, never fetched by the page.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, test } from 'node:test';

import { JOIN_TIMEOUT_MS, PHONE, launch, visible,
	 withPage } from './harness.mjs';

const AXE = readFileSync(createRequire(import.meta.url)
	.resolve('axe-core/axe.min.js'), 'utf8');
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser.close(); });

async function audit(page, view) {
	if (!await page.evaluate(() => 'axe' in window))
		await page.addScriptTag({ content: AXE });

	const violations = await page.evaluate(async () => {
		const res = await window.axe.run(document, {
			runOnly: { type: 'tag', values: [
				'wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
				'best-practice'] }
		});

		return res.violations.map((v) => `${v.id}: ${v.help} (` +
			v.nodes.map((n) => n.target.join(' ')).join(', ') +
			')');
	});

	assert.deepEqual(violations, [], `${view} view`);
}

test('phone: every view passes axe',
     () => withPage(browser, 'a11y', PHONE, async (session, daemon) => {
	const { page } = session;

	await page.goto(daemon.base + '/');
	await visible(page, 'v-list');
	await page.locator('#nets li').first().waitFor();
	await audit(page, 'list');

	await page.locator('#nets button')
		.filter({ hasText: 'HomeNet' }).click();
	await audit(page, 'join');
	await page.click('#go');
	assert.equal(await page.getAttribute('#pass', 'aria-invalid'),
		     'true');
	await audit(page, 'join with an error');

	await page.click('#back');
	await page.click('#other');
	await page.click('#go');
	await audit(page, 'hidden network with errors');
	await page.click('#back');

	await page.locator('#nets button')
		.filter({ hasText: 'HomeNet' }).click();
	await page.fill('#pass', 'correct-horse');
	await page.click('#go');
	await page.waitForURL(/session=/);
	await visible(page, 'v-prog');
	await audit(page, 'progress');
	await visible(page, 'v-done', JOIN_TIMEOUT_MS);
	await audit(page, 'success');

	await page.goto(daemon.base + '/');
	await visible(page, 'qr');
	await audit(page, 'dashboard');
	await page.click('#disc');
	await page.locator('#confirm[open]').waitFor();
	await audit(page, 'disconnect confirmation');
	await page.keyboard.press('Escape');
}));
