/* SPDX-License-Identifier: MIT */
/*
 * The captive portal table: which requests are the device's own, which
 * are probes, and what each probe gets on the access point and outside
 * it. The HTTP-level checks of the same probes are in test_web_api.c.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "web/captive.h"

static const struct captive_ctx ap = {
	.ap_mode = true,
	.ap_ip = "192.168.4.1",
	.portal_port = 80,
	.hostname = "distiller-a1b2",
	.web_host = "0.0.0.0",
};

static const struct captive_ctx client = {
	.ap_mode = false,
	.ap_ip = "192.168.4.1",
	.portal_port = 80,
	.hostname = "distiller-a1b2",
	.web_host = "0.0.0.0",
};

/* Every probe named by the requirements, with its "online" status. */
static const struct {
	const char *host;
	const char *path;
	int status;
	const char *body;
} probes[] = {
	{ "connectivitycheck.gstatic.com", "/generate_204", 204, "" },
	{ "clients3.google.com", "/generate_204", 204, "" },
	{ "www.google.com", "/gen_204", 204, "" },
	{ "captive.apple.com", "/hotspot-detect.html", 200,
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY>"
	  "</HTML>\n" },
	{ "captive.apple.com", "/library/test/success.html", 200,
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY>"
	  "</HTML>\n" },
	{ "www.msftconnecttest.com", "/connecttest.txt", 200,
	  "Microsoft Connect Test" },
	{ "www.msftconnecttest.com", "/redirect", 200,
	  "Microsoft Connect Test" },
	{ "www.msftncsi.com", "/ncsi.txt", 200, "Microsoft NCSI" },
	{ "detectportal.firefox.com", "/canonical.html", 200, NULL },
	{ "detectportal.firefox.com", "/success.txt", 200, "success\n" },
	{ "spectrum.s3.amazonaws.com", "/kindle-wifi/wifistub.html", 200,
	  NULL },
	{ "nmcheck.gnome.org", "/check_network_status.txt", 200,
	  "NetworkManager is online\n" },
};

Test(captive, own_hosts_are_recognised)
{
	cr_assert(captive_host_is_ours(&ap, "192.168.4.1"));
	cr_assert(captive_host_is_ours(&ap, "192.168.4.1:8080"));
	cr_assert(captive_host_is_ours(&ap, "distiller-a1b2.local"));
	cr_assert(captive_host_is_ours(&ap, "Distiller-A1B2.local:8080"));
	cr_assert(captive_host_is_ours(&ap, "distiller-a1b2"));
	cr_assert(captive_host_is_ours(&ap, "localhost:8080"));
	cr_assert(captive_host_is_ours(&ap, "[::1]:8080"));
	cr_assert(captive_host_is_ours(&ap, "10.1.2.3"));
	cr_assert(captive_host_is_ours(&ap, ""));
	cr_assert(captive_host_is_ours(&ap, NULL));
	cr_assert_not(captive_host_is_ours(&ap, "captive.apple.com"));
	cr_assert_not(captive_host_is_ours(&ap, "distiller-ffff.local"));
	cr_assert_not(captive_host_is_ours(&ap, "example.com"));
	cr_assert_not(captive_host_is_ours(&ap, "192.168.4.1.evil.com"));
}

Test(captive, every_probe_redirects_in_ap_mode)
{
	const struct captive_answer *answer;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		cr_assert_eq(captive_decide(&ap, probes[i].host, probes[i].path,
					    &answer),
			     CAPTIVE_ACTION_REDIRECT, "%s%s", probes[i].host,
			     probes[i].path);
		cr_assert_null(answer);
	}
}

Test(captive, any_foreign_page_redirects_in_ap_mode)
{
	const struct captive_answer *answer;

	cr_assert_eq(captive_decide(&ap, "example.com", "/index.html", &answer),
		     CAPTIVE_ACTION_REDIRECT);
	cr_assert_eq(captive_decide(&ap, "neverssl.com:80", "/", &answer),
		     CAPTIVE_ACTION_REDIRECT);
	cr_assert_eq(captive_decide(&ap, "192.168.4.1", "/", &answer),
		     CAPTIVE_ACTION_NONE);
	cr_assert_eq(captive_decide(&ap, "distiller-a1b2.local:8080",
				    "/api/status", &answer),
		     CAPTIVE_ACTION_NONE);
	cr_assert_eq(captive_decide(&ap, "example.com", CAPTIVE_API_PATH,
				    &answer),
		     CAPTIVE_ACTION_NONE);
}

Test(captive, every_probe_is_online_in_client_mode)
{
	const struct captive_answer *answer;

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		cr_assert_eq(captive_decide(&client, probes[i].host,
					    probes[i].path, &answer),
			     CAPTIVE_ACTION_ANSWER, "%s%s", probes[i].host,
			     probes[i].path);
		cr_assert_eq(answer->status, probes[i].status, "%s",
			     probes[i].path);
		if (probes[i].body)
			cr_assert_str_eq(answer->body, probes[i].body);
	}
}

Test(captive, firefox_and_kindle_bodies_are_the_real_ones)
{
	const struct captive_probe *p;

	p = captive_probe_find("detectportal.firefox.com", "/canonical.html");
	cr_assert_not_null(p);
	cr_assert_not_null(strstr(p->online.body, "captive-portal"));
	p = captive_probe_find("spectrum.s3.amazonaws.com",
			       "/kindle-wifi/wifistub.html");
	cr_assert_not_null(p);
	cr_assert_not_null(
		strstr(p->online.body, "81ce4465-7167-4dcb-835b-dcc9e44c112a"));
}

Test(captive, unknown_pages_are_served_normally_in_client_mode)
{
	const struct captive_answer *answer;

	cr_assert_eq(captive_decide(&client, "example.com", "/", &answer),
		     CAPTIVE_ACTION_NONE);
	cr_assert_eq(captive_decide(&client, "a1b2.devices.pamir.ai",
				    "/api/status", &answer),
		     CAPTIVE_ACTION_NONE);
	cr_assert_eq(captive_decide(&client, "192.168.4.1", "/generate_204",
				    &answer),
		     CAPTIVE_ACTION_NONE);
}

Test(captive, other_android_vendors_probe_generate_204)
{
	const struct captive_answer *answer;

	cr_assert_eq(captive_decide(&client, "connect.rom.miui.com",
				    "/generate_204", &answer),
		     CAPTIVE_ACTION_ANSWER);
	cr_assert_eq(answer->status, 204);
}

Test(captive, probe_host_match_ignores_case_port_and_final_dot)
{
	cr_assert_not_null(captive_probe_find("Captive.Apple.COM:80",
					      "/hotspot-detect.html"));
	cr_assert_not_null(captive_probe_find("captive.apple.com.",
					      "/hotspot-detect.html"));
	cr_assert_null(
		captive_probe_find("captive.apple.com", "/hotspot-detect.htm"));
}

Test(captive, portal_url_names_the_port_only_when_not_80)
{
	struct captive_ctx c = ap;
	char url[CAPTIVE_URL_MAX];

	captive_portal_url(&c, url);
	cr_assert_str_eq(url, "http://192.168.4.1/");
	c.portal_port = 18080;
	captive_portal_url(&c, url);
	cr_assert_str_eq(url, "http://192.168.4.1:18080/");
}
