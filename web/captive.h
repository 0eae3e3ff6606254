/* SPDX-License-Identifier: MIT */
/*
 * The captive portal: what to answer the connectivity probes of phones
 * and laptops, and which requests belong to the portal at all.
 *
 * On the access point (AP mode) every request for a host that is not the
 * device itself is a probe or a page the person tried to open, and is
 * redirected to the setup page (302, Cache-Control: no-store). Every OS
 * treats "not the expected answer" as "captive" and opens its sign-in
 * window on the redirect target. Outside AP mode the same probes get the
 * answer that means "online", byte for byte what the real servers send,
 * so a client that reaches the device with a probe is not misled.
 *
 * RFC 8908: the DHCP option 114 (RFC 8910) sent on the AP points at
 * CAPTIVE_API_PATH on the AP address; clients that know it ask there.
 *
 * Pure; any thread.
 */
#ifndef DISTILLER_WEB_CAPTIVE_H
#define DISTILLER_WEB_CAPTIVE_H

#include <stdbool.h>
#include <stddef.h>

/* The RFC 8908 API path (announced by DHCP option 114). */
#define CAPTIVE_API_PATH "/captive-portal/api"
#define CAPTIVE_API_CONTENT_TYPE "application/captive+json"

/* Longest portal URL: "http://" + IPv4 + ":" + port + "/" */
#define CAPTIVE_URL_MAX 64

enum captive_action {
	CAPTIVE_ACTION_NONE,	 /* serve the request normally */
	CAPTIVE_ACTION_REDIRECT, /* 302 to the portal URL */
	CAPTIVE_ACTION_ANSWER,	 /* the probe's "online" answer */
};

/* A probe's "online" answer. */
struct captive_answer {
	int status;		  /* 200 or 204 */
	const char *content_type; /* NULL for 204 */
	const char *body;	  /* "" for 204 */
	const char *extra_header; /* "name:" of one extra header, or NULL */
	const char *extra_value;
};

/* One known probe: @host NULL matches any host (generate_204 variants). */
struct captive_probe {
	const char *host;
	const char *path;
	const char *os; /* who sends it, for logs and tests */
	struct captive_answer online;
};

/* What the deciding function needs to know about the daemon. */
struct captive_ctx {
	bool ap_mode;	      /* the latest snapshot says AP_MODE */
	const char *ap_ip;    /* "192.168.4.1" */
	int portal_port;      /* 80 on a device */
	const char *hostname; /* "distiller-a1b2", may be "" */
	const char *web_host; /* the configured listen address */
};

/* The table of known probes, for tests and documentation. */
extern const struct captive_probe captive_probes[];
extern const size_t captive_probes_count;

/*
 * True when @host (a Host header, maybe with ":port", any case) names the
 * device itself: its AP address, its names (with or without ".local"),
 * localhost, the listen address, or any IP literal (someone who typed an
 * address meant this device; probes use names).
 */
bool captive_host_is_ours(const struct captive_ctx *c, const char *host);

/* The probe matching @host and @path, or NULL. */
const struct captive_probe *captive_probe_find(const char *host,
					       const char *path);

/*
 * Decides how to treat a request for @host and @path (the path without
 * its query). For CAPTIVE_ACTION_ANSWER, *answer points at the answer.
 * The RFC 8908 API path is always CAPTIVE_ACTION_NONE (the router serves
 * it). A missing Host header (@host NULL or "") is treated as ours.
 */
enum captive_action captive_decide(const struct captive_ctx *c,
				   const char *host, const char *path,
				   const struct captive_answer **answer);

/* "http://192.168.4.1/" (with ":port" when it is not 80). */
void captive_portal_url(const struct captive_ctx *c, char out[CAPTIVE_URL_MAX]);

#endif
