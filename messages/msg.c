/* SPDX-License-Identifier: MIT */
/*
 * The msgpack codec of the message schema in messages/msg.h.
 *
 * Each body struct is described once, by a table of fields (wire key,
 * kind, where it lives in the struct, its bound). One generic encoder and
 * one generic decoder walk those tables, so adding a field is one row.
 * The wire key of a field is the name of its struct member, except
 * "mdns" (mdns_available) in the snapshot.
 *
 * Envelope checks, in this order: the root must be an array whose first
 * element is an unsigned version (-EPROTO otherwise); a version other than
 * MSG_SCHEMA_VERSION is -EPROTONOSUPPORT whatever follows, so a newer peer
 * may change the envelope's shape; then the array must have exactly five
 * elements (-EPROTO).
 *
 * Before msgpack-c sees the bytes, a cheap scan checks that they are one
 * complete msgpack object, nested at most WIRE_DEPTH_MAX deep, and that no
 * array, map, string or bin declares more than the bytes that are left.
 * msgpack-c allocates room for an array's declared length up front, so
 * without the scan six bytes could ask it for gigabytes.
 *
 * Pure code: no logging, no global state; any thread.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "messages/msg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Descriptor of a body field whose wire key is its member's name. */
/* clang-format off */
#define FIELD(type, member, kind, max)					\
	{ #member, kind, offsetof(struct type, member),			\
	  sizeof(((struct type *)0)->member), max, NULL, 0 }
/* clang-format on */

enum field_kind {
	FIELD_STR,  /* str, char[size], NUL-free, always terminated */
	FIELD_SSID, /* bin, struct msg_ssid */
	FIELD_BOOL, /* bool */
	FIELD_UINT, /* uint up to max; stored in 1, 4 or 8 bytes */
	FIELD_INT,  /* int, int32_t */
	FIELD_LIST, /* array of maps described by item, up to max */
};

struct msg_schema;

struct msg_field {
	const char *name;
	enum field_kind kind;
	size_t offset;
	size_t size;		       /* bytes of the member */
	uint64_t max;		       /* FIELD_UINT: largest value;
					 * FIELD_LIST: most items */
	const struct msg_schema *item; /* FIELD_LIST: an item's fields */
	size_t count_offset;	       /* FIELD_LIST: its uint32_t count */
};

struct msg_schema {
	const struct msg_field *fields;
	size_t n_fields;
};

struct msg_def {
	enum msg_type type;
	struct msg_schema body;
};

/* Enum fields are stored as unsigned int and sent as uint. */
_Static_assert(sizeof(enum wifi_state) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum wifi_security) == sizeof(uint32_t), "enum size");
_Static_assert(sizeof(enum wifi_band) == sizeof(uint32_t), "enum size");

/* ---- the schema ------------------------------------------------------ */

static const struct msg_field actor_exited_fields[] = {
	FIELD(msg_actor_exited, actor, FIELD_STR, 0),
	FIELD(msg_actor_exited, code, FIELD_INT, 0),
};

static const struct msg_field reply_fields[] = {
	FIELD(msg_reply, code, FIELD_INT, 0),
	FIELD(msg_reply, error, FIELD_STR, 0),
	FIELD(msg_reply, session_id, FIELD_STR, 0),
};

static const struct msg_field snapshot_fields[] = {
	FIELD(msg_state_snapshot, state, FIELD_UINT, WIFI_STATE_COUNT - 1),
	FIELD(msg_state_snapshot, ssid, FIELD_SSID, 0),
	FIELD(msg_state_snapshot, ip_address, FIELD_STR, 0),
	FIELD(msg_state_snapshot, tunnel_url, FIELD_STR, 0),
	FIELD(msg_state_snapshot, error, FIELD_STR, 0),
	FIELD(msg_state_snapshot, session_id, FIELD_STR, 0),
	FIELD(msg_state_snapshot, seq, FIELD_UINT, UINT64_MAX),
	FIELD(msg_state_snapshot, time_ms, FIELD_UINT, UINT64_MAX),
	FIELD(msg_state_snapshot, device_id, FIELD_STR, 0),
	FIELD(msg_state_snapshot, ap_ssid, FIELD_STR, 0),
	FIELD(msg_state_snapshot, ap_password, FIELD_STR, 0),
	FIELD(msg_state_snapshot, access_code, FIELD_STR, 0),
	{ "mdns", FIELD_BOOL,
	  offsetof(struct msg_state_snapshot, mdns_available), sizeof(bool), 0,
	  NULL, 0 },
	FIELD(msg_state_snapshot, tunnel_provider, FIELD_STR, 0),
};

static const struct msg_field net_event_fields[] = {
	FIELD(msg_net_event, state, FIELD_UINT, WIFI_STATE_COUNT - 1),
	FIELD(msg_net_event, ssid, FIELD_SSID, 0),
	FIELD(msg_net_event, ip_address, FIELD_STR, 0),
	FIELD(msg_net_event, reason, FIELD_STR, 0),
	FIELD(msg_net_event, session_id, FIELD_STR, 0),
};

static const struct msg_field tunnel_event_fields[] = {
	FIELD(msg_tunnel_event, up, FIELD_BOOL, 0),
	FIELD(msg_tunnel_event, provider, FIELD_STR, 0),
	FIELD(msg_tunnel_event, url, FIELD_STR, 0),
	FIELD(msg_tunnel_event, reason, FIELD_STR, 0),
};

static const struct msg_field mdns_event_fields[] = {
	FIELD(msg_mdns_event, available, FIELD_BOOL, 0),
	FIELD(msg_mdns_event, name, FIELD_STR, 0),
};

static const struct msg_field scan_request_fields[] = {
	FIELD(msg_scan_request, fresh, FIELD_BOOL, 0),
};

static const struct msg_field network_fields[] = {
	FIELD(msg_network, ssid, FIELD_SSID, 0),
	FIELD(msg_network, signal, FIELD_UINT, 100),
	FIELD(msg_network, security, FIELD_UINT, WIFI_SECURITY_COUNT - 1),
	FIELD(msg_network, band, FIELD_UINT, WIFI_BAND_COUNT - 1),
	FIELD(msg_network, in_use, FIELD_BOOL, 0),
};

static const struct msg_schema network_schema = { network_fields,
						  ARRAY_SIZE(network_fields) };

static const struct msg_field scan_result_fields[] = {
	{ "networks", FIELD_LIST, offsetof(struct msg_scan_result, networks),
	  sizeof(struct msg_network), MSG_NETWORKS_MAX, &network_schema,
	  offsetof(struct msg_scan_result, count) },
	FIELD(msg_scan_result, age_ms, FIELD_UINT, UINT64_MAX),
	FIELD(msg_scan_result, fresh, FIELD_BOOL, 0),
	FIELD(msg_scan_result, error, FIELD_STR, 0),
};

static const struct msg_field connect_fields[] = {
	FIELD(msg_connect_request, ssid, FIELD_SSID, 0),
	FIELD(msg_connect_request, password, FIELD_STR, 0),
	FIELD(msg_connect_request, hidden, FIELD_BOOL, 0),
	FIELD(msg_connect_request, session_id, FIELD_STR, 0),
};

static const struct msg_field disconnect_fields[] = {
	FIELD(msg_disconnect_request, forget, FIELD_BOOL, 0),
};

static const struct msg_def msg_defs[] = {
	{ MSG_HEARTBEAT, { NULL, 0 } },
	{ MSG_HEARTBEAT_ACK, { NULL, 0 } },
	{ MSG_ACTOR_EXITED,
	  { actor_exited_fields, ARRAY_SIZE(actor_exited_fields) } },
	{ MSG_REPLY, { reply_fields, ARRAY_SIZE(reply_fields) } },
	{ MSG_STATE_SNAPSHOT,
	  { snapshot_fields, ARRAY_SIZE(snapshot_fields) } },
	{ MSG_STATE_GET, { NULL, 0 } },
	{ MSG_NET_EVENT, { net_event_fields, ARRAY_SIZE(net_event_fields) } },
	{ MSG_TUNNEL_EVENT,
	  { tunnel_event_fields, ARRAY_SIZE(tunnel_event_fields) } },
	{ MSG_MDNS_EVENT,
	  { mdns_event_fields, ARRAY_SIZE(mdns_event_fields) } },
	{ MSG_SCAN_REQUEST,
	  { scan_request_fields, ARRAY_SIZE(scan_request_fields) } },
	{ MSG_SCAN_RESULT,
	  { scan_result_fields, ARRAY_SIZE(scan_result_fields) } },
	{ MSG_CONNECT_REQUEST, { connect_fields, ARRAY_SIZE(connect_fields) } },
	{ MSG_DISCONNECT_REQUEST,
	  { disconnect_fields, ARRAY_SIZE(disconnect_fields) } },
};

static const struct msg_def *msg_def_find(uint64_t value)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msg_defs); i++)
		if ((uint64_t)msg_defs[i].type == value)
			return &msg_defs[i];

	return NULL;
}

/* ---- raw scalar storage ---------------------------------------------- */

static uint64_t load_uint(const void *p, size_t size)
{
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	if (size == sizeof(u8)) {
		memcpy(&u8, p, size);
		return u8;
	}

	if (size == sizeof(u32)) {
		memcpy(&u32, p, size);
		return u32;
	}

	memcpy(&u64, p, sizeof(u64));
	return u64;
}

static void store_uint(void *p, size_t size, uint64_t value)
{
	uint8_t u8 = (uint8_t)value;
	uint32_t u32 = (uint32_t)value;

	if (size == sizeof(u8))
		memcpy(p, &u8, size);
	else if (size == sizeof(u32))
		memcpy(p, &u32, size);
	else
		memcpy(p, &value, sizeof(value));
}

/* ---- encoding -------------------------------------------------------- */

/* msgpack-c's pack calls fail only when the buffer cannot grow. */
static int pack_result(int r)
{
	return r ? -ENOMEM : 0;
}

static int encode_str(msgpack_packer *pk, const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return -EINVAL;

	if (msgpack_pack_str(pk, len))
		return -ENOMEM;

	return pack_result(msgpack_pack_str_body(pk, s, len));
}

static int encode_ssid(msgpack_packer *pk, const struct msg_ssid *ssid)
{
	if (ssid->len > MSG_SSID_MAX)
		return -EINVAL;

	if (msgpack_pack_bin(pk, ssid->len))
		return -ENOMEM;

	return pack_result(msgpack_pack_bin_body(pk, ssid->bytes, ssid->len));
}

/* A list's items are maps again: the two recurse. */
static int encode_fields(msgpack_packer *pk, const struct msg_schema *schema,
			 const void *base);

static int encode_list(msgpack_packer *pk, const struct msg_field *f,
		       const void *base)
{
	const uint8_t *items = (const uint8_t *)base + f->offset;
	uint32_t count;
	uint32_t i;
	int r;

	memcpy(&count, (const uint8_t *)base + f->count_offset, sizeof(count));
	if (count > f->max)
		return -EINVAL;

	if (msgpack_pack_array(pk, count))
		return -ENOMEM;

	for (i = 0; i < count; i++) {
		r = encode_fields(pk, f->item, items + (size_t)i * f->size);
		if (r < 0)
			return r;
	}

	return 0;
}

static int encode_value(msgpack_packer *pk, const struct msg_field *f,
			const void *base)
{
	const uint8_t *p = (const uint8_t *)base + f->offset;
	uint64_t u;
	int32_t i;

	switch (f->kind) {
	case FIELD_STR:
		return encode_str(pk, (const char *)p, f->size);
	case FIELD_SSID:
		return encode_ssid(pk, (const struct msg_ssid *)p);
	case FIELD_BOOL:
		if (*(const bool *)p)
			return pack_result(msgpack_pack_true(pk));
		return pack_result(msgpack_pack_false(pk));
	case FIELD_UINT:
		u = load_uint(p, f->size);
		if (u > f->max)
			return -EINVAL;
		return pack_result(msgpack_pack_uint64(pk, u));
	case FIELD_INT:
		memcpy(&i, p, sizeof(i));
		return pack_result(msgpack_pack_int32(pk, i));
	case FIELD_LIST:
		return encode_list(pk, f, base);
	}

	return -EINVAL;
}

static int encode_fields(msgpack_packer *pk, const struct msg_schema *schema,
			 const void *base)
{
	const struct msg_field *f;
	size_t i;
	int r;

	if (msgpack_pack_map(pk, schema->n_fields))
		return -ENOMEM;

	for (i = 0; i < schema->n_fields; i++) {
		f = &schema->fields[i];
		if (msgpack_pack_str_with_body(pk, f->name, strlen(f->name)))
			return -ENOMEM;

		r = encode_value(pk, f, base);
		if (r < 0)
			return r;
	}

	return 0;
}

static int encode_envelope(msgpack_packer *pk, const struct msg_def *def,
			   const struct msg *m)
{
	int r;

	if (msgpack_pack_array(pk, 5) ||
	    msgpack_pack_uint32(pk, MSG_SCHEMA_VERSION) ||
	    msgpack_pack_uint32(pk, (uint32_t)def->type) ||
	    msgpack_pack_uint64(pk, m->correlation_id))
		return -ENOMEM;

	r = encode_str(pk, m->sender, sizeof(m->sender));
	if (r < 0)
		return r;

	return encode_fields(pk, &def->body, &m->body);
}

/* ---- the well-formedness scan ---------------------------------------- */

/* Containers open at once; the schema itself needs four. */
#define WIRE_DEPTH_MAX 16

enum wire_shape {
	WIRE_BAD,    /* 0xc1, never used */
	WIRE_SCALAR, /* fixed size */
	WIRE_BYTES,  /* str, bin, ext: a length, then that many bytes */
	WIRE_ARRAY,  /* a count of items */
	WIRE_MAP,    /* a count of key/value pairs */
};

/*
 * Markers 0xc0..0xdf, indexed from 0xc0: the shape, how many bytes of
 * length follow the marker, and how many bytes always follow those.
 */
static const struct wire_marker {
	uint8_t shape;
	uint8_t width;
	uint8_t fixed;
} wire_markers[32] = {
	/* nil, never used, false, true */
	[0xc0 - 0xc0] = { WIRE_SCALAR, 0, 0 },
	[0xc1 - 0xc0] = { WIRE_BAD, 0, 0 },
	[0xc2 - 0xc0] = { WIRE_SCALAR, 0, 0 },
	[0xc3 - 0xc0] = { WIRE_SCALAR, 0, 0 },
	/* bin 8, 16, 32 */
	[0xc4 - 0xc0] = { WIRE_BYTES, 1, 0 },
	[0xc5 - 0xc0] = { WIRE_BYTES, 2, 0 },
	[0xc6 - 0xc0] = { WIRE_BYTES, 4, 0 },
	/* ext 8, 16, 32: the length, then a type byte */
	[0xc7 - 0xc0] = { WIRE_BYTES, 1, 1 },
	[0xc8 - 0xc0] = { WIRE_BYTES, 2, 1 },
	[0xc9 - 0xc0] = { WIRE_BYTES, 4, 1 },
	/* float 32, 64 */
	[0xca - 0xc0] = { WIRE_SCALAR, 0, 4 },
	[0xcb - 0xc0] = { WIRE_SCALAR, 0, 8 },
	/* uint 8, 16, 32, 64 */
	[0xcc - 0xc0] = { WIRE_SCALAR, 0, 1 },
	[0xcd - 0xc0] = { WIRE_SCALAR, 0, 2 },
	[0xce - 0xc0] = { WIRE_SCALAR, 0, 4 },
	[0xcf - 0xc0] = { WIRE_SCALAR, 0, 8 },
	/* int 8, 16, 32, 64 */
	[0xd0 - 0xc0] = { WIRE_SCALAR, 0, 1 },
	[0xd1 - 0xc0] = { WIRE_SCALAR, 0, 2 },
	[0xd2 - 0xc0] = { WIRE_SCALAR, 0, 4 },
	[0xd3 - 0xc0] = { WIRE_SCALAR, 0, 8 },
	/* fixext 1, 2, 4, 8, 16: a type byte, then the data */
	[0xd4 - 0xc0] = { WIRE_SCALAR, 0, 2 },
	[0xd5 - 0xc0] = { WIRE_SCALAR, 0, 3 },
	[0xd6 - 0xc0] = { WIRE_SCALAR, 0, 5 },
	[0xd7 - 0xc0] = { WIRE_SCALAR, 0, 9 },
	[0xd8 - 0xc0] = { WIRE_SCALAR, 0, 17 },
	/* str 8, 16, 32 */
	[0xd9 - 0xc0] = { WIRE_BYTES, 1, 0 },
	[0xda - 0xc0] = { WIRE_BYTES, 2, 0 },
	[0xdb - 0xc0] = { WIRE_BYTES, 4, 0 },
	/* array 16, 32; map 16, 32 */
	[0xdc - 0xc0] = { WIRE_ARRAY, 2, 0 },
	[0xdd - 0xc0] = { WIRE_ARRAY, 4, 0 },
	[0xde - 0xc0] = { WIRE_MAP, 2, 0 },
	[0xdf - 0xc0] = { WIRE_MAP, 4, 0 },
};

static struct wire_marker wire_marker_of(uint8_t b, uint64_t *inline_len)
{
	static const struct wire_marker scalar = { WIRE_SCALAR, 0, 0 };
	static const struct wire_marker array = { WIRE_ARRAY, 0, 0 };
	static const struct wire_marker map = { WIRE_MAP, 0, 0 };
	static const struct wire_marker bytes = { WIRE_BYTES, 0, 0 };

	*inline_len = 0;
	if (b <= 0x7f || b >= 0xe0)
		return scalar; /* positive and negative fixint */

	if (b >= 0xc0)
		return wire_markers[b - 0xc0];

	if (b <= 0x8f) {
		*inline_len = b & 0x0f;
		return map;
	}

	if (b <= 0x9f) {
		*inline_len = b & 0x0f;
		return array;
	}

	*inline_len = b & 0x1f;
	return bytes; /* fixstr */
}

/*
 * Measures the object head at @p: its own size in bytes (marker, length,
 * payload; not its children) and how many child objects follow it.
 */
static int wire_head(const uint8_t *p, size_t avail, size_t *size,
		     uint64_t *children)
{
	struct wire_marker mk;
	uint64_t n;
	uint64_t total;
	size_t i;

	mk = wire_marker_of(p[0], &n);
	if (mk.shape == WIRE_BAD || avail < 1u + mk.width)
		return -EPROTO;

	for (i = 0; i < mk.width; i++)
		n = (n << 8) | p[1 + i];

	total = 1u + mk.width + mk.fixed;
	*children = 0;
	if (mk.shape == WIRE_BYTES)
		total += n;
	else if (mk.shape == WIRE_ARRAY)
		*children = n;
	else if (mk.shape == WIRE_MAP)
		*children = 2 * n;

	if (total > avail)
		return -EPROTO;

	*size = (size_t)total;
	return 0;
}

/*
 * Walks the objects without building them. Every object still owed takes
 * at least one byte, so a container that declares more objects than bytes
 * remain is refused before any allocation is sized from it. Nesting is
 * bounded well below msgpack-c's own limit of 32.
 */
static int wire_scan(const uint8_t *buf, size_t len)
{
	uint64_t left[WIRE_DEPTH_MAX + 1]; /* objects owed per level */
	uint64_t pending = 1;		   /* their sum */
	uint64_t children;
	size_t depth = 0;
	size_t off = 0;
	size_t size;
	int r;

	left[0] = 1;
	while (pending > 0) {
		while (left[depth] == 0)
			depth--;

		if (off >= len)
			return -EPROTO;

		r = wire_head(buf + off, len - off, &size, &children);
		if (r < 0)
			return r;

		off += size;
		left[depth]--;
		pending = pending - 1 + children;
		if (pending > len - off)
			return -EPROTO;

		if (children == 0)
			continue;

		if (depth == WIRE_DEPTH_MAX)
			return -EPROTO;

		left[++depth] = children;
	}

	return off == len ? 0 : -EPROTO;
}

/* ---- decoding -------------------------------------------------------- */

/* msgpack-c gives an empty str or bin a NULL pointer. */
static int decode_str(const msgpack_object *o, char *dst, size_t size)
{
	size_t len;

	if (o->type != MSGPACK_OBJECT_STR)
		return -EBADMSG;

	len = o->via.str.size;
	if (len >= size)
		return -E2BIG;

	if (len && memchr(o->via.str.ptr, '\0', len))
		return -EBADMSG;

	if (len)
		memcpy(dst, o->via.str.ptr, len);
	dst[len] = '\0';
	return 0;
}

static int decode_ssid(const msgpack_object *o, struct msg_ssid *ssid)
{
	if (o->type != MSGPACK_OBJECT_BIN)
		return -EBADMSG;

	if (o->via.bin.size > MSG_SSID_MAX)
		return -E2BIG;

	return msg_ssid_set(ssid, o->via.bin.ptr, o->via.bin.size);
}

static int decode_int(const msgpack_object *o, int32_t *out)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT32_MAX) {
		*out = (int32_t)o->via.u64;
		return 0;
	}

	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    o->via.i64 >= INT32_MIN) {
		*out = (int32_t)o->via.i64;
		return 0;
	}

	return -EBADMSG;
}

/* A list's items are maps again: the two recurse. */
static int decode_fields(const msgpack_object *map,
			 const struct msg_schema *schema, void *base);

static int decode_list(const msgpack_object *o, const struct msg_field *f,
		       void *base)
{
	uint8_t *items = (uint8_t *)base + f->offset;
	uint32_t count;
	uint32_t i;
	int r;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -EBADMSG;

	if (o->via.array.size > f->max)
		return -E2BIG;

	for (i = 0; i < o->via.array.size; i++) {
		r = decode_fields(&o->via.array.ptr[i], f->item,
				  items + (size_t)i * f->size);
		if (r < 0)
			return r;
	}

	count = o->via.array.size;
	memcpy((uint8_t *)base + f->count_offset, &count, sizeof(count));
	return 0;
}

static int decode_value(const msgpack_object *o, const struct msg_field *f,
			void *base)
{
	uint8_t *p = (uint8_t *)base + f->offset;
	int32_t i;
	int r;

	switch (f->kind) {
	case FIELD_STR:
		return decode_str(o, (char *)p, f->size);
	case FIELD_SSID:
		return decode_ssid(o, (struct msg_ssid *)p);
	case FIELD_BOOL:
		if (o->type != MSGPACK_OBJECT_BOOLEAN)
			return -EBADMSG;
		*(bool *)p = o->via.boolean;
		return 0;
	case FIELD_UINT:
		if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    o->via.u64 > f->max)
			return -EBADMSG;
		store_uint(p, f->size, o->via.u64);
		return 0;
	case FIELD_INT:
		r = decode_int(o, &i);
		if (r == 0)
			memcpy(p, &i, sizeof(i));
		return r;
	case FIELD_LIST:
		return decode_list(o, f, base);
	}

	return -EBADMSG;
}

static const struct msg_field *schema_find(const struct msg_schema *schema,
					   const msgpack_object *key,
					   size_t *index)
{
	const struct msg_field *f;
	size_t i;

	for (i = 0; i < schema->n_fields; i++) {
		f = &schema->fields[i];
		if (strlen(f->name) == key->via.str.size &&
		    !memcmp(f->name, key->via.str.ptr, key->via.str.size)) {
			*index = i;
			return f;
		}
	}

	return NULL;
}

/* Every field of @schema exactly once; other keys are skipped. */
static int decode_fields(const msgpack_object *map,
			 const struct msg_schema *schema, void *base)
{
	const msgpack_object_kv *kv;
	const struct msg_field *f;
	uint32_t seen = 0;
	size_t index;
	uint32_t i;
	int r;

	if (map->type != MSGPACK_OBJECT_MAP)
		return -EBADMSG;

	for (i = 0; i < map->via.map.size; i++) {
		kv = &map->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			return -EBADMSG;

		f = schema_find(schema, &kv->key, &index);
		if (!f)
			continue;

		if (seen & (UINT32_C(1) << index))
			return -EBADMSG;

		seen |= UINT32_C(1) << index;
		r = decode_value(&kv->val, f, base);
		if (r < 0)
			return r;
	}

	if (seen != (uint32_t)((UINT64_C(1) << schema->n_fields) - 1))
		return -EBADMSG;

	return 0;
}

static int decode_envelope(const msgpack_object *root, struct msg *out)
{
	const struct msg_def *def;
	const msgpack_object *e;
	int r;

	if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 1)
		return -EPROTO;

	e = root->via.array.ptr;
	if (e[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -EPROTO;

	if (e[0].via.u64 != MSG_SCHEMA_VERSION)
		return -EPROTONOSUPPORT;

	if (root->via.array.size != 5)
		return -EPROTO;

	if (e[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    e[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -EBADMSG;

	def = msg_def_find(e[1].via.u64);
	if (!def)
		return -ENOMSG;

	r = decode_str(&e[3], out->sender, sizeof(out->sender));
	if (r < 0)
		return r;

	out->type = def->type;
	out->correlation_id = e[2].via.u64;
	return decode_fields(&e[4], &def->body, &out->body);
}

/* ---- public ---------------------------------------------------------- */

int msg_encode(const struct msg *m, void **out, size_t *out_len)
{
	const struct msg_def *def;
	msgpack_sbuffer sbuf;
	msgpack_packer pk;
	int r;

	if (!out || !out_len)
		return -EINVAL;

	*out = NULL;
	*out_len = 0;
	if (!m)
		return -EINVAL;

	def = msg_def_find((uint64_t)m->type);
	if (!def)
		return -EINVAL;

	msgpack_sbuffer_init(&sbuf);
	msgpack_packer_init(&pk, &sbuf, msgpack_sbuffer_write);
	r = encode_envelope(&pk, def, m);
	if (r < 0) {
		msgpack_sbuffer_destroy(&sbuf);
		return r;
	}

	*out_len = sbuf.size;
	*out = msgpack_sbuffer_release(&sbuf);
	return 0;
}

int msg_decode(const void *buf, size_t len, struct msg *out)
{
	msgpack_unpacked result;
	msgpack_unpack_return ur;
	size_t off = 0;
	int r;

	if (!out)
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	if (!buf)
		return -EPROTO;

	r = wire_scan(buf, len);
	if (r < 0)
		return r;

	msgpack_unpacked_init(&result);
	ur = msgpack_unpack_next(&result, buf, len, &off);
	if (ur == MSGPACK_UNPACK_NOMEM_ERROR)
		r = -ENOMEM;
	else if (ur != MSGPACK_UNPACK_SUCCESS || off != len)
		r = -EPROTO;
	else
		r = decode_envelope(&result.data, out);

	msgpack_unpacked_destroy(&result);
	if (r < 0)
		memset(out, 0, sizeof(*out));

	return r;
}

const char *msg_type_name(enum msg_type type)
{
	switch (type) {
	case MSG_HEARTBEAT:
		return "HEARTBEAT";
	case MSG_HEARTBEAT_ACK:
		return "HEARTBEAT_ACK";
	case MSG_ACTOR_EXITED:
		return "ACTOR_EXITED";
	case MSG_REPLY:
		return "REPLY";
	case MSG_STATE_SNAPSHOT:
		return "STATE_SNAPSHOT";
	case MSG_STATE_GET:
		return "STATE_GET";
	case MSG_NET_EVENT:
		return "NET_EVENT";
	case MSG_TUNNEL_EVENT:
		return "TUNNEL_EVENT";
	case MSG_MDNS_EVENT:
		return "MDNS_EVENT";
	case MSG_SCAN_REQUEST:
		return "SCAN_REQUEST";
	case MSG_SCAN_RESULT:
		return "SCAN_RESULT";
	case MSG_CONNECT_REQUEST:
		return "CONNECT_REQUEST";
	case MSG_DISCONNECT_REQUEST:
		return "DISCONNECT_REQUEST";
	}

	return NULL;
}

const char *wifi_state_name(enum wifi_state state)
{
	switch (state) {
	case WIFI_STATE_AP_MODE:
		return "AP_MODE";
	case WIFI_STATE_SWITCHING:
		return "SWITCHING";
	case WIFI_STATE_CONNECTING:
		return "CONNECTING";
	case WIFI_STATE_CONNECTED:
		return "CONNECTED";
	case WIFI_STATE_FAILED:
		return "FAILED";
	case WIFI_STATE_DISCONNECTED:
		return "DISCONNECTED";
	}

	return NULL;
}

const char *wifi_security_name(enum wifi_security security)
{
	switch (security) {
	case WIFI_SECURITY_OPEN:
		return "OPEN";
	case WIFI_SECURITY_WEP:
		return "WEP";
	case WIFI_SECURITY_WPA:
		return "WPA";
	case WIFI_SECURITY_WPA2:
		return "WPA2";
	case WIFI_SECURITY_WPA3:
		return "WPA3";
	case WIFI_SECURITY_WPA2_WPA3:
		return "WPA2_WPA3";
	case WIFI_SECURITY_ENTERPRISE:
		return "ENTERPRISE";
	}

	return NULL;
}

const char *wifi_band_name(enum wifi_band band)
{
	switch (band) {
	case WIFI_BAND_UNKNOWN:
		return "UNKNOWN";
	case WIFI_BAND_2GHZ:
		return "2GHZ";
	case WIFI_BAND_5GHZ:
		return "5GHZ";
	case WIFI_BAND_6GHZ:
		return "6GHZ";
	}

	return NULL;
}

int wifi_state_from_name(const char *name, enum wifi_state *out)
{
	unsigned int i;

	if (!name || !out)
		return -EINVAL;

	for (i = 0; i < WIFI_STATE_COUNT; i++) {
		if (!strcmp(name, wifi_state_name((enum wifi_state)i))) {
			*out = (enum wifi_state)i;
			return 0;
		}
	}

	return -EINVAL;
}

int msg_ssid_set(struct msg_ssid *ssid, const void *bytes, size_t len)
{
	if (!ssid || (!bytes && len))
		return -EINVAL;

	if (len > MSG_SSID_MAX)
		return -E2BIG;

	memset(ssid, 0, sizeof(*ssid));
	if (len)
		memcpy(ssid->bytes, bytes, len);
	ssid->len = (uint8_t)len;
	return 0;
}

/*
 * On -E2BIG @dst holds the longest prefix that fits and does not end
 * inside a UTF-8 sequence, so truncated human text stays valid text.
 */
int msg_strlcpy(char *dst, size_t dst_size, const char *src)
{
	size_t len;

	if (!dst || !dst_size || !src)
		return -EINVAL;

	len = strlen(src);
	if (len < dst_size) {
		memcpy(dst, src, len + 1);
		return 0;
	}

	len = dst_size - 1;
	while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
		len--;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return -E2BIG;
}
