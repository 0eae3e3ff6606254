/* SPDX-License-Identifier: MIT */
/*
 * The setup page. The device's status (GET /api/status, then every change
 * over the WebSocket /ws) picks the view: the network list in hotspot
 * mode, live progress while joining, the outcome, and a dashboard in
 * client mode. A join ends in a real navigation to /?session=<id>, as iOS
 * re-checks a captive portal only on navigation; the new page follows
 * that session. SSIDs come from the air: they only ever become text nodes.
 */
'use strict';

(() => {
	const $ = (id) => document.getElementById(id);
	const ORDER = ['SWITCHING', 'CONNECTING', 'CONNECTED'];
	const SECURITY = {
		OPEN: 'Open', NONE: 'Open', WEP: 'WEP', WPA: 'WPA', WPA1: 'WPA',
		WPA2: 'WPA2', WPA3: 'WPA3', WPA2WPA3: 'WPA2/WPA3'
	};
	let session = new URLSearchParams(location.search).get('session');
	let status = null;
	let view = '';
	let chosen = null;	/* the network the join form is for */
	let opener = null;	/* the control that opened the join form */
	let listed = false;
	let sock = null;
	let delay = 500;
	let timer = 0;

	function h(tag, props, kids) {
		const el = document.createElement(tag);

		for (const k in props)
			el.setAttribute(k, props[k]);
		[].concat(kids === undefined ? [] : kids).forEach((c) =>
			c != null && c !== false && el.append(c));
		return el;
	}

	const link = (url) => /^https?:\/\//i.test(url) ?
		h('a', { href: url }, url) : url;

	function fill(id, kids) {
		$(id).textContent = '';
		$(id).append(...kids);
	}

	function show(name, focus) {
		for (const v of ['list', 'join', 'prog', 'done', 'dash'])
			$('v-' + v).hidden = v !== name;
		if (focus && view !== name)
			$('h-' + name).focus();
		view = name;
	}

	async function api(method, path, body) {
		const opts = { method, cache: 'no-store' };
		let res, data = {};

		if (body) {
			opts.headers = { 'Content-Type': 'application/json' };
			opts.body = JSON.stringify(body);
		}
		try {
			res = await fetch(path, opts);
		} catch (e) {
			throw new Error('Could not reach the device. Is this ' +
					'phone still on its hotspot?');
		}
		try {
			data = JSON.parse(await res.text()) || {};
		} catch (e) { /* not JSON: the status says enough */ }
		if (!res.ok)
			throw new Error(data.error || 'The device answered ' +
					`HTTP ${res.status}`);
		return data;
	}

	function security(net) {
		const key = String(net.security || 'Open').toUpperCase();

		if (/ENTERPRISE|EAP|802/.test(key))
			return 'Enterprise';
		return SECURITY[key.replace(/[^A-Z0-9]/g, '')] || key;
	}

	const hostname = () => status.hostname ||
		(status.device_id ? 'distiller-' + status.device_id : 'device');

	function port() {
		const p = String(status.web_port || location.port || 8080);

		return p === '80' ? '' : ':' + p;
	}

	const localUrl = () => `http://${hostname()}.local${port()}/`;
	const ipUrl = () => status.ip_address ?
		`http://${status.ip_address}${port()}/` : '';
	const ssidOf = (s) => s.ssid || 'the network';

	function bars(signal) {
		const n = Math.min(4, Math.ceil(Math.max(0, signal || 0) / 25));
		const box = h('span', { class: 'bars', 'aria-hidden': 'true' });

		for (let i = 1; i <= 4; i++)
			box.append(h('i', { class: i <= n ? 'on' : '' }));
		return [box, h('span', { class: 'sr' }, `, signal ${n} of 4`)];
	}

	/* Network list */

	function renderNets(data) {
		const nets = (data.networks || []).slice().sort((a, b) =>
			!!b.in_use - !!a.in_use ||
			(b.signal || 0) - (a.signal || 0));
		let note = nets.length === 1 ? '1 network.' :
			`${nets.length} networks.`;

		fill('nets', nets.map((net) => {
			const btn = h('button', { type: 'button' }, [
				h('span', { class: 'name' }, String(net.ssid)),
				net.in_use && h('span', { class: 'badge' },
						'In use'),
				h('span', { class: 'badge' }, security(net)),
				...bars(net.signal)
			]);

			btn.onclick = () => openJoin(net, btn);
			return h('li', {}, btn);
		}));
		if (data.fresh === false)
			note = 'List from ' + Math.round(data.age_s || 0) +
				' s ago' + (data.error ? ` (${data.error}). ` :
					    '. ') + note;
		$('scan').textContent = note;
	}

	async function loadNets(fresh) {
		listed = true;
		$('refresh').disabled = true;
		$('scan').textContent = 'Looking for networks…';
		try {
			renderNets(await api('GET', fresh === true ?
					     '/api/networks?fresh=1' :
					     '/api/networks'));
		} catch (err) {
			$('scan').textContent = err.message;
		}
		$('refresh').disabled = false;
	}

	function showList(focus) {
		show('list', focus);
		if (!listed)
			loadNets();
	}

	function showFailure(s, ended) {
		$('fail').hidden = !s.error && !ended;
		$('fail').textContent = `Could not join ${ssidOf(s)}. ` +
			(s.error ? s.error.replace(/[^.!?]$/, '$&.') + ' ' :
			 '') +
			'Check the details and try again.';
	}

	/* Join form */

	function ssidError(ssid) {
		const n = new TextEncoder().encode(ssid).length;

		if (!n)
			return 'Enter the network name.';
		return n > 32 ? `The name is ${n} bytes long; at most 32 ` +
			'fit.' : '';
	}

	function passError(pass) {
		if (/^[0-9a-f]{64}$/i.test(pass))
			return '';
		if (/[^\x20-\x7e]/.test(pass))
			return 'Use only plain ASCII letters, digits, spaces ' +
				'and symbols (no accents or emoji).';
		if (pass.length < 8)
			return 'The password needs at least 8 characters.';
		return pass.length > 63 ? 'The password has at most 63 ' +
			'characters, or exactly 64 hex digits.' : '';
	}

	const kind = () => chosen.hidden ? $('sec').value : security(chosen);

	function syncForm() {
		const open = kind() === 'Open';
		const ent = kind() === 'Enterprise';

		$('f-pass').hidden = open || ent;
		$('go').disabled = ent;
		$('join-sec').textContent = chosen.hidden ? '' : ent ?
			'Enterprise networks need a user name, which this ' +
			'device cannot use yet.' : open ?
			'Open network: no password needed.' :
			`Security: ${kind()}.`;
	}

	function fieldError(id, msg) {
		$(id).setAttribute('aria-invalid', !!msg);
		$(id + '-err').textContent = msg;
		return msg ? $(id) : null;
	}

	function openJoin(net, from) {
		chosen = net;
		opener = from;
		$('join').reset();
		$('h-join').textContent = net.hidden ? 'Other network' :
			'Join ' + net.ssid;
		$('f-hidden').hidden = !net.hidden;
		$('pass').type = 'password';
		$('show').setAttribute('aria-pressed', false);
		$('join-err').hidden = true;
		fieldError('ssid', '');
		fieldError('pass', '');
		syncForm();
		show('join');
		(net.hidden ? $('ssid') : $('f-pass').hidden ? $('go') :
		 $('pass')).focus();
	}

	async function submit(ev) {
		const open = kind() === 'Open';
		const body = { password: open ? '' : $('pass').value };
		let bad = null;

		ev.preventDefault();
		if (chosen.hidden) {
			body.ssid = $('ssid').value;
			body.hidden = true;
			bad = fieldError('ssid', ssidError(body.ssid));
		} else if (chosen.ssid_hex) {
			body.ssid_hex = chosen.ssid_hex;
		} else {
			body.ssid = chosen.ssid;
		}
		bad = fieldError('pass', open ? '' :
				 passError(body.password)) || bad;
		if (bad)
			return bad.focus();

		$('go').disabled = true;
		$('go').textContent = 'Joining…';
		$('join-err').hidden = true;
		try {
			const data = await api('POST', '/api/connect', body);

			location.assign('/?session=' + encodeURIComponent(
				data.session_id || ''));
		} catch (err) {
			$('go').disabled = false;
			$('go').textContent = 'Join';
			$('join-err').hidden = false;
			$('join-err').textContent = err.message;
		}
	}

	/* Progress and outcome */

	function renderProgress(s) {
		const at = ORDER.indexOf(s.state);

		show('prog', true);
		$('h-prog').textContent = 'Joining ' + (s.ssid || '');
		[...$('steps').children].forEach((li, i) => {
			li.className = i < at ? 'done' : i === at ? 'now' : '';
		});
		$('prog').textContent = at < 0 ?
			'Asking the device to start…' : at ?
			`Joining ${ssidOf(s)}…` : 'Leaving hotspot mode…';
		$('next').textContent = `If it works, the hotspot ` +
			`${s.ap_ssid || ''} disappears and this page loses ` +
			`contact. Join ${ssidOf(s)} on this phone, then open ` +
			`${localUrl()} (on Android use the IP address the ` +
			'device shows on its screen, as Android does not ' +
			'resolve .local names). If it fails, the hotspot ' +
			'comes back: join it again and this page shows why.';
	}

	function renderDone(s) {
		const ip = ipUrl();

		show('done', true);
		$('h-done').textContent = 'Connected to ' + ssidOf(s);
		$('done').textContent = `The device joined ${ssidOf(s)}` +
			(s.ip_address ? ` with the address ${s.ip_address}.` :
			 '.');
		fill('how', [
			h('li', {}, `The hotspot ${s.ap_ssid || ''} ` +
			  'disappears now.'),
			h('li', {}, `Join ${ssidOf(s)} on this phone or ` +
			  'computer.'),
			h('li', {}, ['Open ', link(localUrl()), ...(ip ?
				[', or ', link(ip), ' on Android, which ' +
				 'does not resolve .local names.'] : ['.'])])
		]);
	}

	function renderDash(s) {
		const url = s.tunnel_url || ipUrl();
		const facts = [['Network', ssidOf(s)],
			       ['IP address', s.ip_address || 'none yet'],
			       ['Address', link(localUrl())],
			       ['Tunnel', s.tunnel_url ? link(s.tunnel_url) :
				'not available']];

		show('dash', view !== '');
		$('h-dash').textContent = 'Connected to ' + ssidOf(s);
		fill('facts', facts.flatMap((f) => [h('dt', {}, f[0]),
						    h('dd', {}, f[1])]));
		if (url && !window.qrEncode && !$('qr-js')) {
			/* the hotspot pages never need it: load it here */
			document.head.append(h('script', { src: '/qr.js',
							   id: 'qr-js' }));
			$('qr-js').onload = () => renderDash(status);
		}
		$('qr').hidden = !url || !window.qrEncode;
		if (!$('qr').hidden) {
			const code = window.qrEncode(url, 'M');
			const m = code.size + 8;

			$('qr-svg').setAttribute('viewBox', `-4 -4 ${m} ${m}`);
			$('qr-path').setAttribute('d', window.qrPath(code));
			$('qr-svg').dataset.url = url;
			$('qr-cap').textContent = 'QR code for ' + url;
		}
		$('c-p').textContent = `The device leaves ${ssidOf(s)} and ` +
			`raises its hotspot ${s.ap_ssid || ''}. To set it up ` +
			'again, join that hotspot.';
	}

	function onStatus(s) {
		const joining = s.state === 'SWITCHING' ||
			s.state === 'CONNECTING';

		status = s;
		$('conn').hidden = true;
		$('device').textContent = 'Device ' + hostname() +
			(s.ap_ssid ? ' · hotspot ' + s.ap_ssid : '');
		if (session) {
			if (s.session_id !== session)
				return renderProgress({ ap_ssid: s.ap_ssid });
			if (s.state === 'CONNECTED')
				return renderDone(s);
			if (joining || (s.state === 'AP_MODE' && !s.error))
				return renderProgress(s);
			/* the join failed: the reason, then the list again */
			session = null;
			history.replaceState(null, '', '/');
			listed = false;
			showFailure(s, true);
			showList();
			return $('fail').focus();
		}
		if (s.state === 'CONNECTED')
			return renderDash(s);
		if (joining)
			return renderProgress(s);
		showFailure(s);
		if (view !== 'join')
			showList(view !== '');
	}

	/* The WebSocket drops when the hotspot goes away: retry, backing off */

	function lost(text) {
		$('lost').hidden = !text;
		$('lost').textContent = text;
		if (view !== 'prog' && text) {
			$('conn').hidden = false;
			$('conn').textContent = text;
		}
	}

	function connect() {
		clearTimeout(timer);
		sock = new WebSocket((location.protocol === 'https:' ?
				      'wss://' : 'ws://') + location.host +
				     '/ws');
		sock.onopen = () => {
			delay = 500;
			lost('');
		};
		sock.onmessage = (ev) => {
			let s = null;

			try {
				s = JSON.parse(ev.data);
			} catch (e) { /* not a status object */ }
			if (s && s.state)
				onStatus(s);
		};
		sock.onclose = () => {
			sock = null;
			lost('Lost contact with the device (expected while ' +
			     'it leaves hotspot mode). Trying again in ' +
			     Math.ceil(delay / 1000) + ' s…');
			timer = setTimeout(connect, delay);
			delay = Math.min(delay * 2, 10000);
		};
	}

	function wake() {
		if (!sock && document.visibilityState === 'visible')
			connect();
	}

	async function disconnect() {
		$('disc').disabled = true;
		$('dash-msg').textContent = 'Disconnecting…';
		try {
			await api('POST', '/api/disconnect',
				  $('f-code').hidden ? {} :
				  { access_code: $('code').value.trim() });
			$('dash-msg').textContent = 'Disconnected. The ' +
				'device raises its hotspot ' +
				`${status.ap_ssid || ''} again.`;
		} catch (err) {
			$('dash-msg').textContent = err.message;
			if (/access code/i.test(err.message))
				$('f-code').hidden = false;
		}
		$('disc').disabled = false;
	}

	$('refresh').onclick = () => loadNets(true);
	$('other').onclick = () => openJoin({ hidden: true }, $('other'));
	$('back').onclick = () => {
		show('list');
		(opener && opener.isConnected ? opener : $('h-list')).focus();
	};
	$('tolist').onclick = () => {
		session = null;
		history.replaceState(null, '', '/');
		showList(true);
	};
	$('sec').onchange = syncForm;
	for (const id of ['ssid', 'pass'])
		$(id).oninput = () => fieldError(id, '');
	$('show').onclick = () => {
		const on = $('pass').type === 'password';

		$('pass').type = on ? 'text' : 'password';
		$('show').setAttribute('aria-pressed', on);
	};
	$('join').onsubmit = submit;
	$('disc').onclick = () => {
		/* through the tunnel, changes need the code on the panel */
		try {
			if (new URL(status.tunnel_url).host === location.host)
				$('f-code').hidden = false;
		} catch (e) { /* no tunnel */ }
		$('confirm').returnValue = '';
		if ($('confirm').showModal)
			$('confirm').showModal();
		else if (confirm($('c-h').textContent))
			disconnect();
	};
	$('confirm').onclose = () => {
		if ($('confirm').returnValue === 'yes')
			disconnect();
	};

	$('conn').hidden = false;
	$('conn').textContent = 'Contacting the device…';
	api('GET', '/api/status').then((s) => !status && s.state && onStatus(s),
		(err) => { if (!status) $('conn').textContent = err.message; });
	document.addEventListener('visibilitychange', wake);
	addEventListener('online', wake);
	connect();
})();
