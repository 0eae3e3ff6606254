/* SPDX-License-Identifier: MIT */
/*
 * Lookup of the embedded assets; the table itself is generated.
 */
#include <stdbool.h>
#include <string.h>

#include "web/assets.h"

const struct web_asset *web_asset_find(const char *path)
{
	size_t i;

	if (!path || path[0] != '/')
		return NULL;

	if (!strcmp(path, "/"))
		path = "/index.html";

	for (i = 0; i < web_assets_count; i++) {
		if (!strcmp(web_assets[i].path, path))
			return &web_assets[i];
	}

	return NULL;
}

bool web_asset_etag_matches(const char *inm, const char *etag)
{
	size_t etag_len = strlen(etag);
	const char *p = inm;

	if (!inm)
		return false;

	while (*p) {
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;

		if (!*p)
			break;

		if (*p == '*')
			return true;

		if (!strncmp(p, "W/", 2))
			p += 2;

		n = strcspn(p, ",");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;

		if (n == etag_len && !memcmp(p, etag, n))
			return true;

		p += strcspn(p, ",");
	}

	return false;
}
