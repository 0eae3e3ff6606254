/* SPDX-License-Identifier: MIT */
/*
 * The message codec alone: every message type survives a round trip with
 * awkward values, and the decoder refuses every malformed input with the
 * code messages/msg.h promises, leaving its output zeroed. Malformed
 * inputs are built by taking a valid encoding apart with msgpack-c and
 * packing it again with one change (a field dropped, retyped, stretched).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <msgpack.h>

#include "messages/msg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define STR_BOUND(type, member) (sizeof(((struct type *)0)->member) - 1)

static const enum msg_type all_types[] = {
	MSG_HEARTBEAT,		MSG_HEARTBEAT_ACK,
	MSG_ACTOR_EXITED,	MSG_REPLY,
	MSG_STATE_SNAPSHOT,	MSG_STATE_GET,
	MSG_NET_EVENT,		MSG_TUNNEL_EVENT,
	MSG_MDNS_EVENT,		MSG_SCAN_REQUEST,
	MSG_SCAN_RESULT,	MSG_CONNECT_REQUEST,
	MSG_DISCONNECT_REQUEST,
};

/* SSIDs a shell, a JSON writer or a C string would trip over. */
static const char ssid_punct[] = "Caf\xc3\xa9 \"Guest\":\\net'`$(x)";
static const char ssid_emoji[] = "\xf0\x9f\x93\xb6 WiFi \xf0\x9f\x8f\xa0";
static const char ssid_bad_utf8[] = "\xff\xfe\x00\x80:\xc3(\xed\xa0\x80";
static const char ssid_32[] = "0123456789:\\\"abcdefghijklmnopqrs";
static const char password_64[] =
	"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ 0123456789ABCDEFabcdef ghijklm";
static const char session[] = "3b241101-e2bb-4255-8caf-4136c566a962";

static void ssid_set(struct msg_ssid *ssid, const char *bytes, size_t len)
{
	cr_assert_eq(msg_ssid_set(ssid, bytes, len), 0);
}

static void sample_snapshot(struct msg_state_snapshot *s)
{
	s->state = WIFI_STATE_CONNECTED;
	ssid_set(&s->ssid, ssid_punct, sizeof(ssid_punct) - 1);
	strcpy(s->ip_address, "fe80::1234:5678:9abc:def0");
	strcpy(s->tunnel_url, "https://a1b2-serial.devices.pamir.ai/?q=\"x\"");
	strcpy(s->error, "Line one\nline two \xe2\x80\x94 \\ \"quoted\"");
	strcpy(s->session_id, session);
	s->seq = UINT64_MAX;
	s->time_ms = 1733230000123ull;
	strcpy(s->device_id, "a1b2");
	strcpy(s->ap_ssid, "Distiller-A1B2");
	memset(s->ap_password, 'f', MSG_PASSWORD_MAX);
	strcpy(s->access_code, "042917");
	s->mdns_available = true;
	strcpy(s->tunnel_provider, "pinggy");
}

static void sample_scan_result(struct msg_scan_result *s)
{
	struct msg_network *n;
	char name[MSG_SSID_MAX];
	uint32_t i;

	s->count = MSG_NETWORKS_MAX;
	for (i = 0; i < s->count; i++) {
		n = &s->networks[i];
		snprintf(name, sizeof(name), "net:%u\\\"%s", i, ssid_emoji);
		ssid_set(&n->ssid, name, strlen(name));
		n->signal = (uint8_t)(i * 7 % 101);
		n->security = (enum wifi_security)(i % WIFI_SECURITY_COUNT);
		n->band = (enum wifi_band)(i % WIFI_BAND_COUNT);
		n->in_use = i == 3;
	}
	ssid_set(&s->networks[5].ssid, ssid_bad_utf8,
		 sizeof(ssid_bad_utf8) - 1);
	ssid_set(&s->networks[6].ssid, ssid_32, MSG_SSID_MAX);
	s->networks[7].ssid.len = 0;
	memset(s->networks[7].ssid.bytes, 0, MSG_SSID_MAX);
	s->age_ms = 12345;
	s->fresh = false;
	strcpy(s->error, "Scan throttled by the driver");
}

/* A message of @type with every field set to something non-trivial. */
static void sample(enum msg_type type, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->correlation_id = 0xfedcba9876543210ull;
	strcpy(m->sender, "web");

	switch (type) {
	case MSG_HEARTBEAT:
	case MSG_HEARTBEAT_ACK:
	case MSG_STATE_GET:
		m->correlation_id = 42;
		strcpy(m->sender, "0123456789012345678901234567890");
		break;
	case MSG_ACTOR_EXITED:
		strcpy(m->body.actor_exited.actor, "network");
		m->body.actor_exited.code = -ETIMEDOUT;
		break;
	case MSG_REPLY:
		m->body.reply.code = INT32_MIN;
		strcpy(m->body.reply.error, "Busy: \"Caf\xc3\xa9\"");
		strcpy(m->body.reply.session_id, session);
		break;
	case MSG_STATE_SNAPSHOT:
		sample_snapshot(&m->body.snapshot);
		break;
	case MSG_NET_EVENT:
		m->body.net_event.state = WIFI_STATE_DISCONNECTED;
		ssid_set(&m->body.net_event.ssid, ssid_bad_utf8,
			 sizeof(ssid_bad_utf8) - 1);
		strcpy(m->body.net_event.ip_address, "192.168.1.23");
		strcpy(m->body.net_event.reason,
		       "Secrets were required, but not provided");
		strcpy(m->body.net_event.session_id, session);
		break;
	case MSG_TUNNEL_EVENT:
		m->body.tunnel_event.up = true;
		strcpy(m->body.tunnel_event.provider, "frp");
		memset(m->body.tunnel_event.url, 'u', MSG_URL_MAX - 1);
		strcpy(m->body.tunnel_event.reason, "\xe2\x9c\x93 up");
		break;
	case MSG_MDNS_EVENT:
		m->body.mdns_event.available = true;
		strcpy(m->body.mdns_event.name, "distiller-a1b2 [\xc3\xa9]");
		break;
	case MSG_SCAN_REQUEST:
		m->body.scan_request.fresh = true;
		break;
	case MSG_SCAN_RESULT:
		sample_scan_result(&m->body.scan_result);
		break;
	case MSG_CONNECT_REQUEST:
		ssid_set(&m->body.connect.ssid, ssid_32, MSG_SSID_MAX);
		strcpy(m->body.connect.password, password_64);
		m->body.connect.hidden = true;
		strcpy(m->body.connect.session_id, session);
		break;
	case MSG_DISCONNECT_REQUEST:
		m->body.disconnect.forget = true;
		break;
	}
}

static void *encode_ok(const struct msg *m, size_t *len)
{
	void *buf = NULL;

	cr_assert_eq(msg_encode(m, &buf, len), 0, "encode %s",
		     msg_type_name(m->type));
	cr_assert_not_null(buf);
	return buf;
}

static bool is_zeroed(const struct msg *m)
{
	static const struct msg zero;

	return !memcmp(m, &zero, sizeof(zero));
}

/* Decodes into a dirty struct: on error it must come back zeroed. */
static int decode_checked(const void *buf, size_t len, struct msg *out)
{
	int r;

	memset(out, 0xa5, sizeof(*out));
	r = msg_decode(buf, len, out);
	if (r < 0 && !is_zeroed(out))
		cr_assert_fail("decode returned %d, output left dirty", r);
	return r;
}

/* ---- re-packing with one change ------------------------------------- */

enum value_kind {
	VALUE_NIL,
	VALUE_TRUE,
	VALUE_UINT,
	VALUE_NEG,
	VALUE_FLOAT,
	VALUE_STR,	   /* n bytes of 'x' */
	VALUE_STR_NUL,	   /* "a\0b" */
	VALUE_BIN,	   /* n bytes */
	VALUE_ARRAY,	   /* empty */
	VALUE_MAP,	   /* empty */
	VALUE_REPEAT_ITEM, /* the list's first item, n times */
};

enum op {
	OP_NONE,
	OP_DROP,
	OP_SET,
	OP_DUP, /* the field twice */
	OP_ADD, /* an extra key */
};

struct value {
	enum value_kind kind;
	uint64_t n;
};

struct mutation {
	const char *list; /* NULL: a body field; else in item 0 */
	const char *key;
	enum op op;
	struct value value;
};

static bool key_is(const msgpack_object *key, const char *name)
{
	return name && key->type == MSGPACK_OBJECT_STR &&
	       key->via.str.size == strlen(name) &&
	       !memcmp(key->via.str.ptr, name, key->via.str.size);
}

static void pack_filled(msgpack_packer *pk, bool bin, uint64_t n)
{
	char *bytes = malloc(n + 1);

	cr_assert_not_null(bytes);
	memset(bytes, 'x', n);
	if (bin)
		msgpack_pack_bin_with_body(pk, bytes, n);
	else
		msgpack_pack_str_with_body(pk, bytes, n);
	free(bytes);
}

static void pack_value(msgpack_packer *pk, const struct value *v,
		       const msgpack_object *item)
{
	uint64_t i;

	switch (v->kind) {
	case VALUE_NIL:
		msgpack_pack_nil(pk);
		break;
	case VALUE_TRUE:
		msgpack_pack_true(pk);
		break;
	case VALUE_UINT:
		msgpack_pack_uint64(pk, v->n);
		break;
	case VALUE_NEG:
		msgpack_pack_int64(pk, -(int64_t)v->n);
		break;
	case VALUE_FLOAT:
		msgpack_pack_double(pk, 1.0);
		break;
	case VALUE_STR:
		pack_filled(pk, false, v->n);
		break;
	case VALUE_STR_NUL:
		msgpack_pack_str_with_body(pk, "a\0b", 3);
		break;
	case VALUE_BIN:
		pack_filled(pk, true, v->n);
		break;
	case VALUE_ARRAY:
		msgpack_pack_array(pk, 0);
		break;
	case VALUE_MAP:
		msgpack_pack_map(pk, 0);
		break;
	case VALUE_REPEAT_ITEM:
		msgpack_pack_array(pk, v->n);
		for (i = 0; i < v->n; i++)
			msgpack_pack_object(pk, *item);
		break;
	}
}

static void pack_map_mutated(msgpack_packer *pk, const msgpack_object *map,
			     const struct mutation *mu, bool in_item);

static void pack_list_mutated(msgpack_packer *pk, const msgpack_object *arr,
			      const struct mutation *mu)
{
	uint32_t i;

	msgpack_pack_array(pk, arr->via.array.size);
	for (i = 0; i < arr->via.array.size; i++) {
		if (i == 0)
			pack_map_mutated(pk, &arr->via.array.ptr[i], mu, true);
		else
			msgpack_pack_object(pk, arr->via.array.ptr[i]);
	}
}

static void pack_map_mutated(msgpack_packer *pk, const msgpack_object *map,
			     const struct mutation *mu, bool in_item)
{
	bool here = in_item == (mu->list != NULL);
	const msgpack_object_kv *kv;
	size_t size = map->via.map.size;
	const msgpack_object *item0;
	uint32_t i;

	if (here && mu->op == OP_DROP)
		size--;
	if (here && (mu->op == OP_DUP || mu->op == OP_ADD))
		size++;
	msgpack_pack_map(pk, size);

	if (here && mu->op == OP_ADD) {
		msgpack_pack_str_with_body(pk, mu->key, strlen(mu->key));
		pack_value(pk, &mu->value, NULL);
	}

	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (!here && key_is(&kv->key, mu->list)) {
			msgpack_pack_object(pk, kv->key);
			pack_list_mutated(pk, &kv->val, mu);
			continue;
		}

		if (!here || !key_is(&kv->key, mu->key) || mu->op == OP_ADD) {
			msgpack_pack_object(pk, kv->key);
			msgpack_pack_object(pk, kv->val);
			continue;
		}

		if (mu->op == OP_DROP)
			continue;

		msgpack_pack_object(pk, kv->key);
		if (mu->op == OP_DUP) {
			msgpack_pack_object(pk, kv->val);
			msgpack_pack_object(pk, kv->key);
			msgpack_pack_object(pk, kv->val);
			continue;
		}

		item0 = kv->val.type == MSGPACK_OBJECT_ARRAY &&
					kv->val.via.array.size ?
				&kv->val.via.array.ptr[0] :
				NULL;
		pack_value(pk, &mu->value, item0);
	}
}

/* The encoding of sample(@type), re-packed with @mu applied. */
static void build(enum msg_type type, const struct mutation *mu,
		  msgpack_sbuffer *out)
{
	msgpack_unpacked u;
	msgpack_packer pk;
	struct msg m;
	size_t len;
	void *buf;
	uint32_t i;

	sample(type, &m);
	buf = encode_ok(&m, &len);
	msgpack_unpacked_init(&u);
	cr_assert_eq(msgpack_unpack_next(&u, buf, len, NULL),
		     MSGPACK_UNPACK_SUCCESS);

	msgpack_sbuffer_init(out);
	msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 5);
	for (i = 0; i < 4; i++)
		msgpack_pack_object(&pk, u.data.via.array.ptr[i]);
	pack_map_mutated(&pk, &u.data.via.array.ptr[4], mu, false);

	msgpack_unpacked_destroy(&u);
	free(buf);
}

static int decode_mutated(enum msg_type type, const struct mutation *mu,
			  struct msg *out)
{
	msgpack_sbuffer sb;
	int r;

	build(type, mu, &sb);
	r = decode_checked(sb.data, sb.size, out);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* Packs an envelope by hand: [version, type, id, sender, body]. */
static int decode_envelope(uint64_t version, uint64_t type, size_t n_items)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct msg out;
	int r;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, n_items);
	msgpack_pack_uint64(&pk, version);
	if (n_items > 1)
		msgpack_pack_uint64(&pk, type);
	if (n_items > 2)
		msgpack_pack_uint64(&pk, 7);
	if (n_items > 3)
		msgpack_pack_str_with_body(&pk, "web", 3);
	if (n_items > 4)
		msgpack_pack_map(&pk, 0);
	if (n_items > 5)
		msgpack_pack_nil(&pk);

	r = decode_checked(sb.data, sb.size, &out);
	msgpack_sbuffer_destroy(&sb);
	return r;
}

/* ---- round trips ----------------------------------------------------- */

Test(messages, round_trip_every_type)
{
	struct msg in, out;
	size_t i, len;
	void *buf;

	for (i = 0; i < ARRAY_SIZE(all_types); i++) {
		sample(all_types[i], &in);
		buf = encode_ok(&in, &len);
		cr_assert_eq(decode_checked(buf, len, &out), 0, "decode %s",
			     msg_type_name(in.type));
		cr_expect(!memcmp(&in, &out, sizeof(in)), "%s changed",
			  msg_type_name(in.type));
		free(buf);
	}
}

Test(messages, round_trip_keeps_awkward_ssids_byte_for_byte)
{
	static const struct {
		const char *bytes;
		size_t len;
	} ssids[] = {
		{ ssid_punct, sizeof(ssid_punct) - 1 },
		{ ssid_emoji, sizeof(ssid_emoji) - 1 },
		{ ssid_bad_utf8, sizeof(ssid_bad_utf8) - 1 },
		{ ssid_32, MSG_SSID_MAX },
		{ "", 0 },
	};
	struct msg in, out;
	size_t i, len;
	void *buf;

	for (i = 0; i < ARRAY_SIZE(ssids); i++) {
		sample(MSG_CONNECT_REQUEST, &in);
		ssid_set(&in.body.connect.ssid, ssids[i].bytes, ssids[i].len);
		buf = encode_ok(&in, &len);
		cr_assert_eq(decode_checked(buf, len, &out), 0);
		cr_expect_eq(out.body.connect.ssid.len, ssids[i].len);
		cr_expect(!memcmp(out.body.connect.ssid.bytes, ssids[i].bytes,
				  ssids[i].len),
			  "ssid %zu changed", i);
		cr_expect_str_eq(out.body.connect.password, password_64);
		free(buf);
	}
}

/* A code with leading zeros stays text; "" is a snapshot without one. */
Test(messages, round_trip_keeps_the_access_code_as_text)
{
	static const char *const codes[] = { "000000", "000001", "999999",
					     "042917", "" };
	struct msg in, out;
	size_t i, len;
	void *buf;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		sample(MSG_STATE_SNAPSHOT, &in);
		strcpy(in.body.snapshot.access_code, codes[i]);
		buf = encode_ok(&in, &len);
		cr_assert_eq(decode_checked(buf, len, &out), 0);
		cr_expect_str_eq(out.body.snapshot.access_code, codes[i]);
		cr_expect_str_eq(out.body.snapshot.ap_password,
				 in.body.snapshot.ap_password);
		free(buf);
	}
}

Test(messages, round_trip_reply_codes_across_int32)
{
	static const int32_t codes[] = { 0,	    -1,	 1,   -EBUSY, INT32_MAX,
					 INT32_MIN, 127, -33, 128,    -129 };
	struct msg in, out;
	size_t i, len;
	void *buf;

	for (i = 0; i < ARRAY_SIZE(codes); i++) {
		sample(MSG_REPLY, &in);
		in.body.reply.code = codes[i];
		buf = encode_ok(&in, &len);
		cr_assert_eq(decode_checked(buf, len, &out), 0);
		cr_expect_eq(out.body.reply.code, codes[i]);
		free(buf);
	}
}

Test(messages, round_trip_empty_scan_result)
{
	struct msg in, out;
	size_t len;
	void *buf;

	sample(MSG_SCAN_RESULT, &in);
	memset(&in.body.scan_result, 0, sizeof(in.body.scan_result));
	in.body.scan_result.fresh = true;
	buf = encode_ok(&in, &len);
	cr_assert_eq(decode_checked(buf, len, &out), 0);
	cr_expect(!memcmp(&in, &out, sizeof(in)));
	free(buf);
}

/* The wire keys are the contract with the control socket's clients. */
Test(messages, body_keys_are_the_documented_names)
{
	static const struct {
		enum msg_type type;
		const char *keys;
	} cases[] = {
		{ MSG_HEARTBEAT, "" },
		{ MSG_ACTOR_EXITED, "actor,code," },
		{ MSG_REPLY, "code,error,session_id," },
		{ MSG_STATE_SNAPSHOT,
		  "state,ssid,ip_address,tunnel_url,error,"
		  "session_id,seq,time_ms,device_id,ap_ssid,ap_password,"
		  "access_code,mdns,tunnel_provider," },
		{ MSG_NET_EVENT, "state,ssid,ip_address,reason,session_id," },
		{ MSG_TUNNEL_EVENT, "up,provider,url,reason," },
		{ MSG_MDNS_EVENT, "available,name," },
		{ MSG_SCAN_REQUEST, "fresh," },
		{ MSG_SCAN_RESULT, "networks,age_ms,fresh,error," },
		{ MSG_CONNECT_REQUEST, "ssid,password,hidden,session_id," },
		{ MSG_DISCONNECT_REQUEST, "forget," },
	};
	const msgpack_object_kv *kv;
	msgpack_unpacked u;
	msgpack_object body;
	char keys[512];
	struct msg m;
	size_t i, len, used;
	uint32_t k;
	void *buf;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		sample(cases[i].type, &m);
		buf = encode_ok(&m, &len);
		msgpack_unpacked_init(&u);
		cr_assert_eq(msgpack_unpack_next(&u, buf, len, NULL),
			     MSGPACK_UNPACK_SUCCESS);
		cr_assert_eq(u.data.via.array.ptr[0].via.u64,
			     MSG_SCHEMA_VERSION);
		cr_assert_eq(u.data.via.array.ptr[1].via.u64, cases[i].type);
		body = u.data.via.array.ptr[4];
		keys[0] = '\0';
		for (k = 0; k < body.via.map.size; k++) {
			kv = &body.via.map.ptr[k];
			used = strlen(keys);
			snprintf(keys + used, sizeof(keys) - used, "%.*s,",
				 (int)kv->key.via.str.size,
				 kv->key.via.str.ptr);
		}
		cr_expect_str_eq(keys, cases[i].keys);
		msgpack_unpacked_destroy(&u);
		free(buf);
	}
}

Test(messages, mutations_reach_network_items)
{
	struct mutation none = { .op = OP_NONE };
	struct mutation drop = { "networks", "ssid", OP_DROP, { 0, 0 } };
	struct msg out;

	/* Dropping a key inside the first network proves the path works. */
	cr_expect_eq(decode_mutated(MSG_SCAN_RESULT, &none, &out), 0);
	cr_expect_eq(decode_mutated(MSG_SCAN_RESULT, &drop, &out), -EBADMSG);
}

/* ---- envelope -------------------------------------------------------- */

Test(messages, envelope_rejections)
{
	cr_expect_eq(decode_envelope(1, MSG_STATE_GET, 5), 0);
	cr_expect_eq(decode_envelope(0, MSG_STATE_GET, 5), -EPROTONOSUPPORT);
	cr_expect_eq(decode_envelope(2, MSG_STATE_GET, 5), -EPROTONOSUPPORT);
	cr_expect_eq(decode_envelope(2, MSG_STATE_GET, 3), -EPROTONOSUPPORT);
	cr_expect_eq(decode_envelope(UINT64_MAX, MSG_STATE_GET, 5),
		     -EPROTONOSUPPORT);
	cr_expect_eq(decode_envelope(1, MSG_STATE_GET, 4), -EPROTO);
	cr_expect_eq(decode_envelope(1, MSG_STATE_GET, 6), -EPROTO);
	cr_expect_eq(decode_envelope(1, MSG_STATE_GET, 1), -EPROTO);
	cr_expect_eq(decode_envelope(1, 0, 5), -ENOMSG);
	cr_expect_eq(decode_envelope(1, 5, 5), -ENOMSG);
	cr_expect_eq(decode_envelope(1, 99, 5), -ENOMSG);
	cr_expect_eq(decode_envelope(1, UINT64_MAX, 5), -ENOMSG);
	cr_expect_eq(decode_envelope(1, (1ull << 32) + MSG_REPLY, 5), -ENOMSG);
}

struct raw_case {
	const char *name;
	const char *bytes;
	size_t len;
	int expected;
};

#define RAW(name, bytes, expected)                       \
	{                                                \
		name, bytes, sizeof(bytes) - 1, expected \
	}

Test(messages, raw_envelope_rejections)
{
	static const struct raw_case cases[] = {
		RAW("empty", "", -EPROTO),
		RAW("nil root", "\xc0", -EPROTO),
		RAW("map root", "\x80", -EPROTO),
		RAW("empty array", "\x90", -EPROTO),
		RAW("version as str", "\x95\xa1\x31\x0b\x00\xa0\x80", -EPROTO),
		RAW("version negative", "\x95\xff\x0b\x00\xa0\x80", -EPROTO),
		RAW("minimal valid", "\x95\x01\x0b\x00\xa0\x80", 0),
		RAW("type as str", "\x95\x01\xa2\x31\x31\x00\xa0\x80",
		    -EBADMSG),
		RAW("type negative", "\x95\x01\xf5\x00\xa0\x80", -EBADMSG),
		RAW("id as str", "\x95\x01\x0b\xa1\x30\xa0\x80", -EBADMSG),
		RAW("id negative", "\x95\x01\x0b\xff\xa0\x80", -EBADMSG),
		RAW("id as float", "\x95\x01\x0b\xca\x00\x00\x00\x00\xa0\x80",
		    -EBADMSG),
		RAW("sender as bin", "\x95\x01\x0b\x00\xc4\x00\x80", -EBADMSG),
		RAW("sender as nil", "\x95\x01\x0b\x00\xc0\x80", -EBADMSG),
		RAW("sender with NUL", "\x95\x01\x0b\x00\xa3w\0b\x80",
		    -EBADMSG),
		RAW("sender 32 bytes",
		    "\x95\x01\x0b\x00\xd9\x20"
		    "0123456789012345678901234567890x\x80",
		    -E2BIG),
		RAW("body as array", "\x95\x01\x0b\x00\xa0\x90", -EBADMSG),
		RAW("body as nil", "\x95\x01\x0b\x00\xa0\xc0", -EBADMSG),
		RAW("body with int key", "\x95\x01\x0b\x00\xa0\x81\x01\x01",
		    -EBADMSG),
		RAW("body with unknown key",
		    "\x95\x01\x0b\x00\xa0\x81\xa1x\x01", 0),
		RAW("trailing byte", "\x95\x01\x0b\x00\xa0\x80\x00", -EPROTO),
		RAW("trailing nil", "\x95\x01\x0b\x00\xa0\x80\xc0", -EPROTO),
		RAW("two envelopes",
		    "\x95\x01\x0b\x00\xa0\x80"
		    "\x95\x01\x0b\x00\xa0\x80",
		    -EPROTO),
		RAW("reserved marker", "\x95\x01\x0b\x00\xa0\xc1", -EPROTO),
		/* Lengths that promise far more than the buffer holds. */
		RAW("array32 huge", "\xdd\x0f\xff\xff\xff\x01", -EPROTO),
		RAW("map32 huge", "\xdf\xff\xff\xff\xff\x01\x01", -EPROTO),
		RAW("str32 huge", "\x95\x01\x0b\x00\xdb\xff\xff\xff\xff\x80",
		    -EPROTO),
		RAW("bin32 in body",
		    "\x95\x01\x0b\x00\xa0\x81\xa1x"
		    "\xc6\x7f\xff\xff\xff",
		    -EPROTO),
		RAW("nested huge",
		    "\x95\x01\x0b\x00\xa0\x81\xa1x"
		    "\x91\xdd\xff\xff\xff\xff",
		    -EPROTO),
		RAW("ext in unknown key",
		    "\x95\x01\x0b\x00\xa0\x81\xa1x"
		    "\xd4\x01\x02",
		    0),
	};
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		cr_expect_eq(decode_checked(cases[i].bytes, cases[i].len, &out),
			     cases[i].expected, "%s", cases[i].name);
}

/* [1, 11, 0, "", {"x": [[[...nil...]]]}] with @depth arrays. */
static int decode_nested(size_t depth)
{
	uint8_t buf[200];
	struct msg out;
	size_t i;

	cr_assert_lt(depth + 9, sizeof(buf));
	memcpy(buf, "\x95\x01\x0b\x00\xa0\x81\xa1x", 8);
	for (i = 0; i < depth; i++)
		buf[8 + i] = 0x91;
	buf[8 + depth] = 0xc0;
	return decode_checked(buf, 9 + depth, &out);
}

Test(messages, deep_nesting_is_refused)
{
	cr_expect_eq(decode_nested(10), 0);
	cr_expect_eq(decode_nested(40), -EPROTO);
	cr_expect_eq(decode_nested(190), -EPROTO);
}

Test(messages, null_arguments)
{
	struct msg m;
	size_t len = 1;
	void *buf = &m;

	cr_expect_eq(msg_decode("\x95", 1, NULL), -EINVAL);
	cr_expect_eq(msg_decode(NULL, 0, &m), -EPROTO);
	cr_expect_eq(msg_encode(NULL, &buf, &len), -EINVAL);
	cr_expect_null(buf);
	cr_expect_eq(len, 0);
}

/* ---- one field at a time --------------------------------------------- */

struct keyed {
	enum msg_type type;
	const char *list;
	const char *key;
};

static const struct keyed all_fields[] = {
	{ MSG_ACTOR_EXITED, NULL, "actor" },
	{ MSG_ACTOR_EXITED, NULL, "code" },
	{ MSG_REPLY, NULL, "code" },
	{ MSG_REPLY, NULL, "error" },
	{ MSG_REPLY, NULL, "session_id" },
	{ MSG_STATE_SNAPSHOT, NULL, "state" },
	{ MSG_STATE_SNAPSHOT, NULL, "ssid" },
	{ MSG_STATE_SNAPSHOT, NULL, "ip_address" },
	{ MSG_STATE_SNAPSHOT, NULL, "tunnel_url" },
	{ MSG_STATE_SNAPSHOT, NULL, "error" },
	{ MSG_STATE_SNAPSHOT, NULL, "session_id" },
	{ MSG_STATE_SNAPSHOT, NULL, "seq" },
	{ MSG_STATE_SNAPSHOT, NULL, "time_ms" },
	{ MSG_STATE_SNAPSHOT, NULL, "device_id" },
	{ MSG_STATE_SNAPSHOT, NULL, "ap_ssid" },
	{ MSG_STATE_SNAPSHOT, NULL, "ap_password" },
	{ MSG_STATE_SNAPSHOT, NULL, "access_code" },
	{ MSG_STATE_SNAPSHOT, NULL, "mdns" },
	{ MSG_STATE_SNAPSHOT, NULL, "tunnel_provider" },
	{ MSG_NET_EVENT, NULL, "state" },
	{ MSG_NET_EVENT, NULL, "ssid" },
	{ MSG_NET_EVENT, NULL, "ip_address" },
	{ MSG_NET_EVENT, NULL, "reason" },
	{ MSG_NET_EVENT, NULL, "session_id" },
	{ MSG_TUNNEL_EVENT, NULL, "up" },
	{ MSG_TUNNEL_EVENT, NULL, "provider" },
	{ MSG_TUNNEL_EVENT, NULL, "url" },
	{ MSG_TUNNEL_EVENT, NULL, "reason" },
	{ MSG_MDNS_EVENT, NULL, "available" },
	{ MSG_MDNS_EVENT, NULL, "name" },
	{ MSG_SCAN_REQUEST, NULL, "fresh" },
	{ MSG_SCAN_RESULT, NULL, "networks" },
	{ MSG_SCAN_RESULT, NULL, "age_ms" },
	{ MSG_SCAN_RESULT, NULL, "fresh" },
	{ MSG_SCAN_RESULT, NULL, "error" },
	{ MSG_SCAN_RESULT, "networks", "ssid" },
	{ MSG_SCAN_RESULT, "networks", "signal" },
	{ MSG_SCAN_RESULT, "networks", "security" },
	{ MSG_SCAN_RESULT, "networks", "band" },
	{ MSG_SCAN_RESULT, "networks", "in_use" },
	{ MSG_CONNECT_REQUEST, NULL, "ssid" },
	{ MSG_CONNECT_REQUEST, NULL, "password" },
	{ MSG_CONNECT_REQUEST, NULL, "hidden" },
	{ MSG_CONNECT_REQUEST, NULL, "session_id" },
	{ MSG_DISCONNECT_REQUEST, NULL, "forget" },
};

static const char *where(const struct keyed *k)
{
	static char text[96];

	snprintf(text, sizeof(text), "%s %s%s%s", msg_type_name(k->type),
		 k->list ? k->list : "", k->list ? "[0]." : "", k->key);
	return text;
}

Test(messages, each_field_missing_is_refused)
{
	struct mutation mu;
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all_fields); i++) {
		mu = (struct mutation){ all_fields[i].list,
					all_fields[i].key,
					OP_DROP,
					{ VALUE_NIL, 0 } };
		cr_expect_eq(decode_mutated(all_fields[i].type, &mu, &out),
			     -EBADMSG, "missing %s", where(&all_fields[i]));
	}
}

Test(messages, each_field_twice_is_refused)
{
	struct mutation mu;
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all_fields); i++) {
		mu = (struct mutation){ all_fields[i].list,
					all_fields[i].key,
					OP_DUP,
					{ VALUE_NIL, 0 } };
		cr_expect_eq(decode_mutated(all_fields[i].type, &mu, &out),
			     -EBADMSG, "twice %s", where(&all_fields[i]));
	}
}

/* The msgpack family a field's value belongs to, from its encoding. */
static msgpack_object_type family(msgpack_object_type t)
{
	return t == MSGPACK_OBJECT_NEGATIVE_INTEGER ?
		       MSGPACK_OBJECT_POSITIVE_INTEGER :
		       t;
}

static msgpack_object_type value_family(enum value_kind kind)
{
	switch (kind) {
	case VALUE_NIL:
		return MSGPACK_OBJECT_NIL;
	case VALUE_TRUE:
		return MSGPACK_OBJECT_BOOLEAN;
	case VALUE_UINT:
	case VALUE_NEG:
		return MSGPACK_OBJECT_POSITIVE_INTEGER;
	case VALUE_FLOAT:
		return MSGPACK_OBJECT_FLOAT64;
	case VALUE_STR:
	case VALUE_STR_NUL:
		return MSGPACK_OBJECT_STR;
	case VALUE_BIN:
		return MSGPACK_OBJECT_BIN;
	case VALUE_ARRAY:
	case VALUE_REPEAT_ITEM:
		return MSGPACK_OBJECT_ARRAY;
	case VALUE_MAP:
		return MSGPACK_OBJECT_MAP;
	}
	return MSGPACK_OBJECT_NIL;
}

static msgpack_object_type field_family(const struct keyed *k)
{
	msgpack_object_type t = MSGPACK_OBJECT_NIL;
	const msgpack_object *map;
	msgpack_unpacked u;
	struct msg m;
	size_t len;
	void *buf;
	uint32_t i;

	sample(k->type, &m);
	buf = encode_ok(&m, &len);
	msgpack_unpacked_init(&u);
	msgpack_unpack_next(&u, buf, len, NULL);
	map = &u.data.via.array.ptr[4];
	for (i = 0; k->list && i < map->via.map.size; i++)
		if (key_is(&map->via.map.ptr[i].key, k->list))
			map = &map->via.map.ptr[i].val.via.array.ptr[0];
	for (i = 0; i < map->via.map.size; i++)
		if (key_is(&map->via.map.ptr[i].key, k->key))
			t = family(map->via.map.ptr[i].val.type);
	msgpack_unpacked_destroy(&u);
	free(buf);
	cr_assert_neq(t, MSGPACK_OBJECT_NIL, "no %s on the wire", k->key);
	return t;
}

Test(messages, each_field_of_the_wrong_type_is_refused)
{
	static const struct value wrong[] = {
		{ VALUE_NIL, 0 }, { VALUE_TRUE, 0 },  { VALUE_UINT, 1 },
		{ VALUE_NEG, 1 }, { VALUE_FLOAT, 0 }, { VALUE_STR, 1 },
		{ VALUE_BIN, 1 }, { VALUE_ARRAY, 0 }, { VALUE_MAP, 0 },
	};
	msgpack_object_type own;
	struct mutation mu;
	struct msg out;
	size_t i, j;
	int tried = 0;

	for (i = 0; i < ARRAY_SIZE(all_fields); i++) {
		own = field_family(&all_fields[i]);
		for (j = 0; j < ARRAY_SIZE(wrong); j++) {
			if (value_family(wrong[j].kind) == own)
				continue;
			mu = (struct mutation){ all_fields[i].list,
						all_fields[i].key, OP_SET,
						wrong[j] };
			cr_expect_eq(decode_mutated(all_fields[i].type, &mu,
						    &out),
				     -EBADMSG, "%s as value kind %d",
				     where(&all_fields[i]), wrong[j].kind);
			tried++;
		}
	}
	cr_expect_geq(tried, (int)ARRAY_SIZE(all_fields) * 7);
}

Test(messages, unknown_fields_are_skipped)
{
	static const struct value extra[] = {
		{ VALUE_NIL, 0 },     { VALUE_STR, 300 }, { VALUE_MAP, 0 },
		{ VALUE_BIN, 70000 }, { VALUE_FLOAT, 0 },
	};
	struct msg in, out;
	struct mutation mu;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(all_types); i++) {
		for (j = 0; j < ARRAY_SIZE(extra); j++) {
			mu = (struct mutation){ NULL, "added_later", OP_ADD,
						extra[j] };
			sample(all_types[i], &in);
			cr_expect_eq(decode_mutated(all_types[i], &mu, &out), 0,
				     "%s with an extra field",
				     msg_type_name(all_types[i]));
			cr_expect(!memcmp(&in, &out, sizeof(in)));
		}
	}

	mu = (struct mutation){ "networks",
				"added_later",
				OP_ADD,
				{ VALUE_STR, 3 } };
	cr_expect_eq(decode_mutated(MSG_SCAN_RESULT, &mu, &out), 0);
}

/* ---- bounds ---------------------------------------------------------- */

struct bound_case {
	enum msg_type type;
	const char *list;
	const char *key;
	enum value_kind kind;
	uint64_t max;
};

static const struct bound_case bounds[] = {
	{ MSG_ACTOR_EXITED, NULL, "actor", VALUE_STR,
	  STR_BOUND(msg_actor_exited, actor) },
	{ MSG_REPLY, NULL, "error", VALUE_STR, MSG_TEXT_MAX - 1 },
	{ MSG_REPLY, NULL, "session_id", VALUE_STR, MSG_SESSION_MAX - 1 },
	{ MSG_STATE_SNAPSHOT, NULL, "ssid", VALUE_BIN, MSG_SSID_MAX },
	{ MSG_STATE_SNAPSHOT, NULL, "ip_address", VALUE_STR, MSG_IP_MAX - 1 },
	{ MSG_STATE_SNAPSHOT, NULL, "tunnel_url", VALUE_STR, MSG_URL_MAX - 1 },
	{ MSG_STATE_SNAPSHOT, NULL, "error", VALUE_STR, MSG_TEXT_MAX - 1 },
	{ MSG_STATE_SNAPSHOT, NULL, "session_id", VALUE_STR,
	  MSG_SESSION_MAX - 1 },
	{ MSG_STATE_SNAPSHOT, NULL, "device_id", VALUE_STR,
	  STR_BOUND(msg_state_snapshot, device_id) },
	{ MSG_STATE_SNAPSHOT, NULL, "ap_ssid", VALUE_STR, MSG_SSID_MAX },
	{ MSG_STATE_SNAPSHOT, NULL, "ap_password", VALUE_STR,
	  MSG_PASSWORD_MAX },
	{ MSG_STATE_SNAPSHOT, NULL, "access_code", VALUE_STR,
	  STR_BOUND(msg_state_snapshot, access_code) },
	{ MSG_STATE_SNAPSHOT, NULL, "tunnel_provider", VALUE_STR,
	  STR_BOUND(msg_state_snapshot, tunnel_provider) },
	{ MSG_NET_EVENT, NULL, "ssid", VALUE_BIN, MSG_SSID_MAX },
	{ MSG_NET_EVENT, NULL, "ip_address", VALUE_STR, MSG_IP_MAX - 1 },
	{ MSG_NET_EVENT, NULL, "reason", VALUE_STR, MSG_TEXT_MAX - 1 },
	{ MSG_NET_EVENT, NULL, "session_id", VALUE_STR, MSG_SESSION_MAX - 1 },
	{ MSG_TUNNEL_EVENT, NULL, "provider", VALUE_STR,
	  STR_BOUND(msg_tunnel_event, provider) },
	{ MSG_TUNNEL_EVENT, NULL, "url", VALUE_STR, MSG_URL_MAX - 1 },
	{ MSG_TUNNEL_EVENT, NULL, "reason", VALUE_STR, MSG_TEXT_MAX - 1 },
	{ MSG_MDNS_EVENT, NULL, "name", VALUE_STR,
	  STR_BOUND(msg_mdns_event, name) },
	{ MSG_SCAN_RESULT, NULL, "networks", VALUE_REPEAT_ITEM,
	  MSG_NETWORKS_MAX },
	{ MSG_SCAN_RESULT, NULL, "error", VALUE_STR, MSG_TEXT_MAX - 1 },
	{ MSG_SCAN_RESULT, "networks", "ssid", VALUE_BIN, MSG_SSID_MAX },
	{ MSG_CONNECT_REQUEST, NULL, "ssid", VALUE_BIN, MSG_SSID_MAX },
	{ MSG_CONNECT_REQUEST, NULL, "password", VALUE_STR, MSG_PASSWORD_MAX },
	{ MSG_CONNECT_REQUEST, NULL, "session_id", VALUE_STR,
	  MSG_SESSION_MAX - 1 },
};

Test(messages, every_bounded_field_takes_its_bound_and_no_more)
{
	const struct bound_case *b;
	struct mutation mu;
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		b = &bounds[i];
		mu = (struct mutation){ b->list,
					b->key,
					OP_SET,
					{ b->kind, b->max } };
		cr_expect_eq(decode_mutated(b->type, &mu, &out), 0,
			     "%s %s at %lu", msg_type_name(b->type), b->key,
			     (unsigned long)b->max);

		mu.value.n = b->max + 1;
		cr_expect_eq(decode_mutated(b->type, &mu, &out), -E2BIG,
			     "%s %s at %lu", msg_type_name(b->type), b->key,
			     (unsigned long)b->max + 1);

		mu.value.n = 4000;
		cr_expect_eq(decode_mutated(b->type, &mu, &out), -E2BIG,
			     "%s %s at 4000", msg_type_name(b->type), b->key);
	}
}

Test(messages, every_string_field_refuses_nul_bytes)
{
	struct mutation mu;
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bounds); i++) {
		if (bounds[i].kind != VALUE_STR)
			continue;
		mu = (struct mutation){ bounds[i].list,
					bounds[i].key,
					OP_SET,
					{ VALUE_STR_NUL, 0 } };
		cr_expect_eq(decode_mutated(bounds[i].type, &mu, &out),
			     -EBADMSG, "NUL in %s", bounds[i].key);
	}
}

Test(messages, enums_and_numbers_are_range_checked)
{
	static const struct {
		enum msg_type type;
		const char *list;
		const char *key;
		struct value ok;
		struct value bad;
	} cases[] = {
		{ MSG_STATE_SNAPSHOT,
		  NULL,
		  "state",
		  { VALUE_UINT, WIFI_STATE_COUNT - 1 },
		  { VALUE_UINT, WIFI_STATE_COUNT } },
		{ MSG_NET_EVENT,
		  NULL,
		  "state",
		  { VALUE_UINT, 0 },
		  { VALUE_UINT, UINT64_MAX } },
		{ MSG_SCAN_RESULT,
		  "networks",
		  "security",
		  { VALUE_UINT, WIFI_SECURITY_COUNT - 1 },
		  { VALUE_UINT, WIFI_SECURITY_COUNT } },
		{ MSG_SCAN_RESULT,
		  "networks",
		  "band",
		  { VALUE_UINT, WIFI_BAND_COUNT - 1 },
		  { VALUE_UINT, WIFI_BAND_COUNT } },
		{ MSG_SCAN_RESULT,
		  "networks",
		  "signal",
		  { VALUE_UINT, 100 },
		  { VALUE_UINT, 101 } },
		{ MSG_SCAN_RESULT,
		  "networks",
		  "signal",
		  { VALUE_UINT, 0 },
		  { VALUE_UINT, 256 } },
		{ MSG_STATE_SNAPSHOT,
		  NULL,
		  "seq",
		  { VALUE_UINT, UINT64_MAX },
		  { VALUE_NEG, 1 } },
		{ MSG_SCAN_RESULT,
		  NULL,
		  "age_ms",
		  { VALUE_UINT, 0 },
		  { VALUE_NEG, 1 } },
		{ MSG_REPLY,
		  NULL,
		  "code",
		  { VALUE_UINT, INT32_MAX },
		  { VALUE_UINT, 1ull << 31 } },
		{ MSG_ACTOR_EXITED,
		  NULL,
		  "code",
		  { VALUE_NEG, 1ull << 31 },
		  { VALUE_NEG, (1ull << 31) + 1 } },
	};
	struct mutation mu;
	struct msg out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		mu = (struct mutation){ cases[i].list, cases[i].key, OP_SET,
					cases[i].ok };
		cr_expect_eq(decode_mutated(cases[i].type, &mu, &out), 0,
			     "%s good", cases[i].key);
		mu.value = cases[i].bad;
		cr_expect_eq(decode_mutated(cases[i].type, &mu, &out), -EBADMSG,
			     "%s bad", cases[i].key);
	}
}

/* ---- whole buffers --------------------------------------------------- */

Test(messages, every_truncation_is_refused)
{
	struct msg in, out;
	size_t i, cut, len;
	uint8_t *buf;

	for (i = 0; i < ARRAY_SIZE(all_types); i++) {
		sample(all_types[i], &in);
		buf = encode_ok(&in, &len);
		for (cut = 0; cut < len; cut++)
			cr_expect_eq(decode_checked(buf, cut, &out), -EPROTO,
				     "%s cut at %zu of %zu",
				     msg_type_name(all_types[i]), cut, len);
		free(buf);
	}
}

Test(messages, trailing_bytes_are_refused)
{
	static const uint8_t tails[][2] = { { 0x00 },
					    { 0xc0 },
					    { 0x90 },
					    { 0xa1, 'x' } };
	struct msg in, out;
	size_t i, t, len;
	uint8_t *buf;

	for (i = 0; i < ARRAY_SIZE(all_types); i++) {
		sample(all_types[i], &in);
		buf = encode_ok(&in, &len);
		buf = realloc(buf, len + 2);
		cr_assert_not_null(buf);
		for (t = 0; t < ARRAY_SIZE(tails); t++) {
			memcpy(buf + len, tails[t], 2);
			cr_expect_eq(decode_checked(buf, len + 1 + (t == 3),
						    &out),
				     -EPROTO, "%s tail %zu",
				     msg_type_name(all_types[i]), t);
		}
		free(buf);
	}
}

/* xorshift64*: fixed seeds, so a failure can be replayed. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* A decoded message is within bounds, so it must encode again. */
static void check_fuzz_result(int r, const struct msg *out)
{
	struct msg again;
	size_t len;
	void *buf;

	if (r < 0) {
		cr_assert(r == -EPROTO || r == -EPROTONOSUPPORT ||
				  r == -ENOMSG || r == -EBADMSG || r == -E2BIG,
			  "unexpected code %d", r);
		return;
	}

	buf = encode_ok(out, &len);
	cr_assert_eq(decode_checked(buf, len, &again), 0);
	cr_assert(!memcmp(out, &again, sizeof(again)));
	free(buf);
}

Test(messages, random_bytes_never_crash)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	uint8_t buf[96];
	struct msg out;
	size_t len, j;
	int i, r;

	for (i = 0; i < 20000; i++) {
		len = next_random(&seed) % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)next_random(&seed);
		/* Half the time, start like an envelope to get further. */
		if (len > 2 && (i & 1)) {
			buf[0] = 0x95;
			buf[1] = 0x01;
		}
		r = decode_checked(buf, len, &out);
		check_fuzz_result(r, &out);
	}
}

Test(messages, mutated_encodings_never_crash)
{
	uint64_t seed = 0x243f6a8885a308d3ull;
	struct msg in, out;
	uint8_t *orig, *buf;
	size_t len, t;
	int i, k, r, accepted = 0;

	for (t = 0; t < ARRAY_SIZE(all_types); t++) {
		sample(all_types[t], &in);
		orig = encode_ok(&in, &len);
		buf = malloc(len);
		cr_assert_not_null(buf);
		for (i = 0; i < 2000; i++) {
			memcpy(buf, orig, len);
			for (k = 0; k < 1 + (int)(next_random(&seed) % 4); k++)
				buf[next_random(&seed) % len] =
					(uint8_t)next_random(&seed);
			r = decode_checked(buf, len, &out);
			check_fuzz_result(r, &out);
			accepted += r == 0;
		}
		free(buf);
		free(orig);
	}
	/* Some flips land in string bytes and still decode. */
	cr_expect_gt(accepted, 0);
}

/* ---- encoder refusals ------------------------------------------------ */

Test(messages, encoder_refuses_out_of_bounds_structs)
{
	struct msg m;
	void *buf = (void *)1;
	size_t len = 1;

	sample(MSG_CONNECT_REQUEST, &m);
	m.body.connect.ssid.len = MSG_SSID_MAX + 1;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);
	cr_expect_null(buf);
	cr_expect_eq(len, 0);

	sample(MSG_CONNECT_REQUEST, &m);
	memset(m.body.connect.password, 'p', sizeof(m.body.connect.password));
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_SCAN_RESULT, &m);
	m.body.scan_result.count = MSG_NETWORKS_MAX + 1;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_SCAN_RESULT, &m);
	m.body.scan_result.networks[9].signal = 101;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_SCAN_RESULT, &m);
	m.body.scan_result.networks[0].security = WIFI_SECURITY_COUNT;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_SCAN_RESULT, &m);
	m.body.scan_result.networks[63].band = WIFI_BAND_COUNT;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_STATE_SNAPSHOT, &m);
	m.body.snapshot.state = WIFI_STATE_COUNT;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_STATE_SNAPSHOT, &m);
	memset(m.body.snapshot.device_id, 'd',
	       sizeof(m.body.snapshot.device_id));
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_STATE_SNAPSHOT, &m);
	memset(m.body.snapshot.access_code, '7',
	       sizeof(m.body.snapshot.access_code));
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_REPLY, &m);
	memset(m.sender, 's', sizeof(m.sender));
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);

	sample(MSG_REPLY, &m);
	m.type = (enum msg_type)99;
	cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL);
	cr_expect_null(buf);
}

/* ---- names and helpers ----------------------------------------------- */

Test(messages, every_type_has_a_name_and_a_codec)
{
	struct msg m, out;
	size_t len;
	void *buf;
	int t, named = 0;

	for (t = -1; t < 300; t++) {
		memset(&m, 0, sizeof(m));
		m.type = (enum msg_type)t;
		if (!msg_type_name(m.type)) {
			cr_expect_eq(msg_encode(&m, &buf, &len), -EINVAL,
				     "type %d has a codec but no name", t);
			continue;
		}
		named++;
		cr_assert_eq(msg_encode(&m, &buf, &len), 0,
			     "type %d has a name but no codec", t);
		cr_expect_eq(decode_checked(buf, len, &out), 0);
		cr_expect(!memcmp(&m, &out, sizeof(m)), "empty %d changed", t);
		free(buf);
	}
	cr_expect_eq(named, (int)ARRAY_SIZE(all_types));
	cr_expect_str_eq(msg_type_name(MSG_STATE_SNAPSHOT), "STATE_SNAPSHOT");
	cr_expect_str_eq(msg_type_name(MSG_CONNECT_REQUEST), "CONNECT_REQUEST");
}

Test(messages, enum_names_match_their_counts)
{
	enum wifi_state s;
	int i;

	for (i = 0; i < WIFI_STATE_COUNT; i++) {
		cr_assert_not_null(wifi_state_name((enum wifi_state)i));
		cr_expect_eq(wifi_state_from_name(
				     wifi_state_name((enum wifi_state)i), &s),
			     0);
		cr_expect_eq((int)s, i);
	}
	cr_expect_null(wifi_state_name((enum wifi_state)WIFI_STATE_COUNT));

	for (i = 0; i < WIFI_SECURITY_COUNT; i++)
		cr_expect_not_null(wifi_security_name((enum wifi_security)i));
	cr_expect_null(
		wifi_security_name((enum wifi_security)WIFI_SECURITY_COUNT));

	for (i = 0; i < WIFI_BAND_COUNT; i++)
		cr_expect_not_null(wifi_band_name((enum wifi_band)i));
	cr_expect_null(wifi_band_name((enum wifi_band)WIFI_BAND_COUNT));

	cr_expect_str_eq(wifi_state_name(WIFI_STATE_AP_MODE), "AP_MODE");
	cr_expect_str_eq(wifi_security_name(WIFI_SECURITY_WPA2_WPA3),
			 "WPA2_WPA3");
	cr_expect_str_eq(wifi_band_name(WIFI_BAND_5GHZ), "5GHZ");
}

Test(messages, state_from_name_refuses_near_misses)
{
	enum wifi_state s = WIFI_STATE_CONNECTED;

	cr_expect_eq(wifi_state_from_name("ap_mode", &s), -EINVAL);
	cr_expect_eq(wifi_state_from_name("AP_MODE ", &s), -EINVAL);
	cr_expect_eq(wifi_state_from_name("", &s), -EINVAL);
	cr_expect_eq(wifi_state_from_name(NULL, &s), -EINVAL);
	cr_expect_eq(s, WIFI_STATE_CONNECTED);
	cr_expect_eq(wifi_state_from_name("FAILED", &s), 0);
	cr_expect_eq(s, WIFI_STATE_FAILED);
}

Test(messages, ssid_set_bounds)
{
	struct msg_ssid ssid;
	uint8_t bytes[MSG_SSID_MAX + 1];

	memset(bytes, 0xee, sizeof(bytes));
	cr_expect_eq(msg_ssid_set(&ssid, bytes, MSG_SSID_MAX), 0);
	cr_expect_eq(ssid.len, MSG_SSID_MAX);
	cr_expect_eq(msg_ssid_set(&ssid, bytes, MSG_SSID_MAX + 1), -E2BIG);
	cr_expect_eq(ssid.len, MSG_SSID_MAX);
	cr_expect_eq(msg_ssid_set(&ssid, NULL, 0), 0);
	cr_expect_eq(ssid.len, 0);
	cr_expect_eq(msg_ssid_set(&ssid, NULL, 1), -EINVAL);
}

Test(messages, strlcpy_bounds)
{
	char dst[4];

	cr_expect_eq(msg_strlcpy(dst, sizeof(dst), "abc"), 0);
	cr_expect_str_eq(dst, "abc");
	cr_expect_eq(msg_strlcpy(dst, sizeof(dst), ""), 0);
	cr_expect_str_eq(dst, "");
	cr_expect_eq(msg_strlcpy(dst, sizeof(dst), "abcd"), -E2BIG);
	cr_expect_str_eq(dst, "abc");
	/* "a" then U+00E9 then U+00E9: never half a character. */
	cr_expect_eq(msg_strlcpy(dst, sizeof(dst), "a\xc3\xa9\xc3\xa9"),
		     -E2BIG);
	cr_expect_str_eq(dst, "a\xc3\xa9");
	cr_expect_eq(msg_strlcpy(dst, 3, "a\xc3\xa9"), -E2BIG);
	cr_expect_str_eq(dst, "a");
	cr_expect_eq(msg_strlcpy(dst, 0, "a"), -EINVAL);
	cr_expect_eq(msg_strlcpy(dst, sizeof(dst), NULL), -EINVAL);
}
