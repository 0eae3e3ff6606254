/* SPDX-License-Identifier: MIT */
/*
 * The setup page's files, embedded at build time: web/embed_assets.cmake
 * turns every file under assets/ into one entry of web_assets[] in the
 * generated assets_data.c, so the daemon serves its page with no files
 * on disk. The ETag is a hash of the content, fixed at build time.
 */
#ifndef DISTILLER_WEB_ASSETS_H
#define DISTILLER_WEB_ASSETS_H

#include <stdbool.h>
#include <stddef.h>

struct web_asset {
	const char *path;	  /* "/index.html", from the assets root */
	const char *content_type; /* with charset for text types */
	const unsigned char *data;
	size_t len;
	const char *etag; /* quoted strong validator */
};

extern const struct web_asset web_assets[];
extern const size_t web_assets_count;

/*
 * The asset served at URL path @path, or NULL. "/" means "/index.html".
 * Pure; any thread.
 */
const struct web_asset *web_asset_find(const char *path);

/*
 * True when an If-None-Match header value @inm matches @etag: "*", the
 * tag itself, or a list containing it (weak "W/" prefixes compare equal,
 * as RFC 9110 asks for If-None-Match). Pure.
 */
bool web_asset_etag_matches(const char *inm, const char *etag);

#endif
