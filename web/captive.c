/* SPDX-License-Identifier: MIT */
/*
 * The probe table and the captive portal decision (see captive.h).
 *
 * The "online" bodies are those the real probe servers send; a client
 * compares them exactly (Apple, Microsoft, Firefox, Kindle and
 * NetworkManager check the body, Android and ChromeOS the 204 status).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "web/captive.h"

#define APPLE_SUCCESS                                                   \
	"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY>" \
	"</HTML>\n"
#define FIREFOX_CANONICAL                                               \
	"<meta http-equiv=\"refresh\" content=\"0;url=https://support." \
	"mozilla.org/kb/captive-portal\"/>"
#define KINDLE_STUB                                                      \
	"<html><head><title>Kindle Reachability Probe Page</title>"      \
	"<META http-equiv=\"Content-Type\" content=\"text/html; "        \
	"charset=iso-8859-1\"><!--81ce4465-7167-4dcb-835b-dcc9e44c112a " \
	"created with python 2.5 uuid.uuid4()--></head><body "           \
	"bgcolor=\"#ffffff\" text=\"#000000\">81ce4465-7167-4dcb-835b-"  \
	"dcc9e44c112a</body></html>"

#define ANSWER_204                        \
	{                                 \
		204, NULL, "", NULL, NULL \
	}
#define ANSWER_TEXT(body)                           \
	{                                           \
		200, "text/plain", body, NULL, NULL \
	}
#define ANSWER_HTML(body)                          \
	{                                          \
		200, "text/html", body, NULL, NULL \
	}

const struct captive_probe captive_probes[] = {
	{ "connectivitycheck.gstatic.com", "/generate_204", "Android",
	  ANSWER_204 },
	{ "connectivitycheck.android.com", "/generate_204", "Android",
	  ANSWER_204 },
	{ "clients3.google.com", "/generate_204", "Android", ANSWER_204 },
	{ "clients1.google.com", "/generate_204", "ChromeOS", ANSWER_204 },
	{ "www.google.com", "/gen_204", "Android", ANSWER_204 },
	{ "captive.apple.com", "/hotspot-detect.html", "Apple",
	  ANSWER_HTML(APPLE_SUCCESS) },
	{ "captive.apple.com", "/library/test/success.html", "Apple",
	  ANSWER_HTML(APPLE_SUCCESS) },
	{ "www.apple.com", "/library/test/success.html", "Apple",
	  ANSWER_HTML(APPLE_SUCCESS) },
	{ "www.msftconnecttest.com", "/connecttest.txt", "Windows",
	  ANSWER_TEXT("Microsoft Connect Test") },
	{ "www.msftconnecttest.com", "/redirect", "Windows",
	  ANSWER_TEXT("Microsoft Connect Test") },
	{ "www.msftncsi.com", "/ncsi.txt", "Windows",
	  ANSWER_TEXT("Microsoft NCSI") },
	{ "detectportal.firefox.com", "/canonical.html", "Firefox",
	  ANSWER_HTML(FIREFOX_CANONICAL) },
	{ "detectportal.firefox.com", "/success.txt", "Firefox",
	  ANSWER_TEXT("success\n") },
	{ "spectrum.s3.amazonaws.com", "/kindle-wifi/wifistub.html", "Kindle",
	  ANSWER_HTML(KINDLE_STUB) },
	{ "nmcheck.gnome.org",
	  "/check_network_status.txt",
	  "NetworkManager",
	  { 200, "text/plain", "NetworkManager is online\n",
	    "X-NetworkManager-Status:", "online" } },
	/* other vendors' Android builds probe their own hosts */
	{ NULL, "/generate_204", "Android", ANSWER_204 },
	{ NULL, "/gen_204", "Android", ANSWER_204 },
};

const size_t captive_probes_count =
	sizeof(captive_probes) / sizeof(captive_probes[0]);

/* Length of the host part of a Host header: "[::1]:80" -> 5, "a:80" -> 1 */
static size_t host_name_len(const char *host)
{
	const char *end;

	if (host[0] == '[') {
		end = strchr(host, ']');
		return end ? (size_t)(end - host) + 1 : strlen(host);
	}

	return strcspn(host, ":");
}

static bool host_equals(const char *host, size_t len, const char *name)
{
	size_t name_len;

	if (!name || !name[0])
		return false;

	name_len = strlen(name);
	if (len && host[len - 1] == '.')
		len--;

	return len == name_len && !strncasecmp(host, name, len);
}

/* Is "<name>.local" (or the bare name) what @host says? */
static bool host_is_name(const char *host, size_t len, const char *name)
{
	char local[80];

	if (!name || !name[0])
		return false;

	snprintf(local, sizeof(local), "%s.local", name);
	return host_equals(host, len, name) || host_equals(host, len, local);
}

static bool host_is_ip_literal(const char *host, size_t len)
{
	unsigned char addr[16];
	char buf[64];

	if (len >= sizeof(buf))
		return false;

	if (host[0] == '[' && len >= 2) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		return inet_pton(AF_INET6, buf, addr) == 1;
	}

	memcpy(buf, host, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1;
}

bool captive_host_is_ours(const struct captive_ctx *c, const char *host)
{
	size_t len;

	if (!host || !host[0])
		return true;

	len = host_name_len(host);
	return host_is_ip_literal(host, len) ||
	       host_equals(host, len, c->ap_ip) ||
	       host_equals(host, len, "localhost") ||
	       host_equals(host, len, c->web_host) ||
	       host_is_name(host, len, c->hostname);
}

const struct captive_probe *captive_probe_find(const char *host,
					       const char *path)
{
	size_t i, len = host ? host_name_len(host) : 0;

	for (i = 0; i < captive_probes_count; i++) {
		const struct captive_probe *p = &captive_probes[i];

		if (strcmp(p->path, path))
			continue;

		if (!p->host || (host && host_equals(host, len, p->host)))
			return p;
	}

	return NULL;
}

enum captive_action captive_decide(const struct captive_ctx *c,
				   const char *host, const char *path,
				   const struct captive_answer **answer)
{
	const struct captive_probe *probe;

	*answer = NULL;
	if (!strcmp(path, CAPTIVE_API_PATH))
		return CAPTIVE_ACTION_NONE;

	if (c->ap_mode)
		return captive_host_is_ours(c, host) ? CAPTIVE_ACTION_NONE :
						       CAPTIVE_ACTION_REDIRECT;

	if (captive_host_is_ours(c, host))
		return CAPTIVE_ACTION_NONE;

	probe = captive_probe_find(host, path);
	if (!probe)
		return CAPTIVE_ACTION_NONE;

	*answer = &probe->online;
	return CAPTIVE_ACTION_ANSWER;
}

void captive_portal_url(const struct captive_ctx *c, char out[CAPTIVE_URL_MAX])
{
	if (c->portal_port == 80)
		snprintf(out, CAPTIVE_URL_MAX, "http://%s/", c->ap_ip);
	else
		snprintf(out, CAPTIVE_URL_MAX, "http://%s:%d/", c->ap_ip,
			 c->portal_port);
}
