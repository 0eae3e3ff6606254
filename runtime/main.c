/* SPDX-License-Identifier: MIT */
/*
 * distiller-wifi: the daemon's entry point. Reads the configuration
 * (defaults, environment, --config file, flags), starts the supervisor,
 * which starts every other actor, and waits on the main thread for
 * SIGTERM, SIGINT or an exit request from the supervisor.
 *
 * Exit statuses: 0 after a signal, 2 for a usage error, 78 for a bad
 * configuration value, 70 when actors keep failing, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actors/actors.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"
#include "runtime/version.h"

extern char **environ;

struct options {
	const char *config_file;
	const char *port;
	bool debug;
	bool no_hardware;
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: distiller-wifi [OPTION]...\n"
		"WiFi provisioning daemon: raises a setup access point with a "
		"captive portal\nwhen no known network is in reach, joins the "
		"network chosen on the page,\nand keeps the device reachable.\n"
		"\n"
		"  -c, --config FILE   read DISTILLER_* settings from a .env "
		"file\n"
		"  -p, --port N        serve the web page and API on port N\n"
		"  -n, --no-hardware   run without an e-ink panel (simulated "
		"mode)\n"
		"  -d, --debug         log debug lines\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Settings come from the environment (DISTILLER_*), then the "
		"--config file,\nthen the flags; see the README for the "
		"full list.\n");
}

/* Returns -1 to go on, or the status to exit with. */
static int parse_args(int argc, char **argv, struct options *opts)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "no-hardware", no_argument, NULL, 'n' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:p:ndhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			opts->config_file = optarg;
			break;
		case 'p':
			opts->port = optarg;
			break;
		case 'n':
			opts->no_hardware = true;
			break;
		case 'd':
			opts->debug = true;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		case 'V':
			printf("distiller-wifi %s\n", DISTILLER_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"distiller-wifi: option '%s' needs a "
				"value; see --help\n",
				argv[optind - 1]);
			return CONFIG_EXIT_USAGE;
		default:
			fprintf(stderr,
				"distiller-wifi: unknown option '%s'; "
				"see --help\n",
				argv[optind - 1]);
			return CONFIG_EXIT_USAGE;
		}
	}

	if (optind < argc) {
		fprintf(stderr,
			"distiller-wifi: unexpected argument '%s'; "
			"see --help\n",
			argv[optind]);
		return CONFIG_EXIT_USAGE;
	}

	return -1;
}

/* Returns -1 to go on, or the status to exit with. */
static int load_config(struct config *cfg, const struct options *opts)
{
	char err[CONFIG_ERROR_MAX] = "";

	config_defaults(cfg);
	if (config_load_env(cfg, environ, err) ||
	    (opts->config_file &&
	     config_load_file(cfg, opts->config_file, err))) {
		fprintf(stderr, "distiller-wifi: %s\n", err);
		return CONFIG_EXIT_CONFIG;
	}

	if (opts->port && config_set(cfg, "WEB_PORT", opts->port, err)) {
		fprintf(stderr,
			"distiller-wifi: --port %s: must be an "
			"integer from 1 to 65535\n",
			opts->port);
		return CONFIG_EXIT_USAGE;
	}

	if (opts->debug)
		cfg->debug = true;
	if (opts->no_hardware)
		cfg->no_hardware = true;

	if (config_finish(cfg, err)) {
		fprintf(stderr, "distiller-wifi: %s\n", err);
		return CONFIG_EXIT_CONFIG;
	}

	return -1;
}

static int run(const struct config *cfg)
{
	const struct actor_def *const *defs;
	struct runtime *rt;
	size_t n_defs;
	int status, err;

	defs = actors_table(&n_defs);
	rt = runtime_new(defs, n_defs, cfg);
	if (!rt) {
		log_err("Failed to create the actor runtime: %s",
			strerror(errno));
		return 1;
	}

	/* The supervisor is the table's first actor; it starts the rest. */
	err = runtime_actor_start(rt, 0);
	if (err) {
		log_err("Failed to start the supervisor: %s", strerror(-err));
		runtime_free(rt);
		return 1;
	}

	status = runtime_wait_exit(rt);
	runtime_actor_stop(rt, 0);
	runtime_free(rt);
	log_info("Stopped");

	return status;
}

int main(int argc, char **argv)
{
	struct options opts = { 0 };
	static struct config cfg;
	int status;

	status = parse_args(argc, argv, &opts);
	if (status >= 0)
		return status;

	status = load_config(&cfg, &opts);
	if (status >= 0)
		return status;

	log_set_debug(cfg.debug);
	runtime_block_signals();
	log_info("Starting distiller-wifi %s%s", DISTILLER_VERSION,
		 cfg.no_hardware ? " without hardware" : "");

	return run(&cfg);
}
