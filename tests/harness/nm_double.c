/* SPDX-License-Identifier: MIT */
/*
 * The NetworkManager double for tests (see nm_double.h): one private
 * dbus-daemon and one python3-dbusmock process, each in a process group
 * of its own, in a temporary directory that goes away with them.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gio/gio.h>

#include "tests/harness/nm_double.h"
#include "tests/harness/process.h"

#define NM_NAME "org.freedesktop.NetworkManager"
#define CONTROL_NAME "com.distiller.NetworkManagerDouble"
#define CONTROL_PATH "/com/distiller/NetworkManagerDouble"
#define CONTROL_IFACE "com.distiller.NetworkManagerDouble"

#define START_TIMEOUT_MS 15000
#define CALL_TIMEOUT_MS 5000
#define PYTHON "/usr/bin/python3"

struct nm_double {
	char dir[PATH_MAX];
	char socket_path[PATH_MAX];
	char address[PATH_MAX + 16];
	char log_path[PATH_MAX];
	char bus_log_path[PATH_MAX];
	char error[512];
	struct process *bus;
	struct process *mock;
	GDBusConnection *conn;	     /* ours, for the control calls */
	GDBusConnection *system_bus; /* GLib's singleton, which libnm uses */
};

struct name_wait {
	struct nm_double *d;
	bool want_owned;
	bool done;
};

static int __attribute__((format(printf, 3, 4)))
format_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool socket_accepts_cb(void *user_data)
{
	struct nm_double *d = user_data;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool ok;
	int fd;

	if (!process_running(d->bus))
		return true;

	if (format_path(sa.sun_path, sizeof(sa.sun_path), "%s",
			d->socket_path) < 0)
		return true;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;

	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void name_appeared_cb(GDBusConnection *conn, const char *name,
			     const char *owner, gpointer user_data)
{
	struct name_wait *w = user_data;

	(void)conn;
	(void)name;
	(void)owner;
	if (w->want_owned)
		w->done = true;
}

static void name_vanished_cb(GDBusConnection *conn, const char *name,
			     gpointer user_data)
{
	struct name_wait *w = user_data;

	(void)conn;
	(void)name;
	if (!w->want_owned)
		w->done = true;
}

static gboolean wake_cb(gpointer user_data)
{
	(void)user_data;
	return G_SOURCE_CONTINUE;
}

/*
 * Watches NameOwnerChanged for @name on a context of our own until it is
 * (not) owned, the deadline passes or the double's process dies.
 */
static int wait_name(struct nm_double *d, const char *name, bool owned,
		     unsigned int timeout_ms)
{
	struct name_wait w = { .d = d, .want_owned = owned };
	GMainContext *ctx = g_main_context_new();
	uint64_t deadline = harness_now_ms() + timeout_ms;
	GSource *wake;
	guint watch;

	g_main_context_push_thread_default(ctx);
	watch = g_bus_watch_name_on_connection(d->conn, name,
					       G_BUS_NAME_WATCHER_FLAGS_NONE,
					       name_appeared_cb,
					       name_vanished_cb, &w, NULL);

	/* wakes the loop to notice a deadline or a dead double */
	wake = g_timeout_source_new(50);
	g_source_set_callback(wake, wake_cb, NULL, NULL);
	g_source_attach(wake, ctx);

	while (!w.done && harness_now_ms() < deadline &&
	       process_running(d->mock))
		g_main_context_iteration(ctx, TRUE);

	g_bus_unwatch_name(watch);
	g_source_destroy(wake);
	g_source_unref(wake);
	while (g_main_context_iteration(ctx, FALSE))
		;
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);

	return w.done ? 0 : -ETIMEDOUT;
}

/* {"scenario": path} with the caller's parameters over it. */
static char *template_params(const struct nm_double_options *opts)
{
	const char *scenario = opts->scenario ? opts->scenario : "basic.json";
	char path[PATH_MAX];
	cJSON *params;
	char *text;

	if (format_path(path, sizeof(path), "%s%s%s",
			scenario[0] == '/' ? "" : DISTILLER_SOURCE_DIR,
			scenario[0] == '/' ? "" : "/tests/nm/scenarios/",
			scenario) < 0)
		return NULL;

	params = opts->params_json ? cJSON_Parse(opts->params_json) :
				     cJSON_CreateObject();
	if (!cJSON_IsObject(params)) {
		cJSON_Delete(params);
		return NULL;
	}

	if (!cJSON_GetObjectItem(params, "scenario"))
		cJSON_AddStringToObject(params, "scenario", path);
	text = cJSON_PrintUnformatted(params);
	cJSON_Delete(params);
	return text;
}

static int start_bus(struct nm_double *d, unsigned int timeout_ms)
{
	char config[PATH_MAX + 16];
	char address[PATH_MAX + 16];
	const char *argv[] = {
		"dbus-daemon", "--nofork", "--nopidfile", config, address, NULL,
	};
	struct process_options opts = {
		.argv = argv,
		.output_path = d->bus_log_path,
	};
	GError *error = NULL;
	int err;

	if (format_path(config, sizeof(config),
			"--config-file=%s/tests/nm/system-bus.conf",
			DISTILLER_SOURCE_DIR) < 0 ||
	    format_path(address, sizeof(address), "--address=%s", d->address) <
		    0)
		return -ENAMETOOLONG;

	err = process_spawn(&opts, &d->bus);
	if (err < 0)
		return err;

	err = harness_wait_for(socket_accepts_cb, d, timeout_ms);
	if (err < 0 || !process_running(d->bus))
		return err < 0 ? err : -ECHILD;

	d->conn = g_dbus_connection_new_for_address_sync(
		d->address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
			G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
		NULL, NULL, &error);
	if (!d->conn) {
		snprintf(d->error, sizeof(d->error), "%s", error->message);
		g_error_free(error);
		return -ECONNREFUSED;
	}

	return 0;
}

static int start_mock(struct nm_double *d, const struct nm_double_options *opts,
		      unsigned int timeout_ms)
{
	char template[PATH_MAX];
	char env_address[PATH_MAX + 64];
	char *params = template_params(opts);
	const char *argv[] = {
		PYTHON,	  "-m", "dbusmock", "--system", "--template",
		template, "-p", params,	    NULL,
	};
	const char *env[] = {
		env_address,
		"PYTHONDONTWRITEBYTECODE=1",
		"PYTHONUNBUFFERED=1",
		NULL,
	};
	struct process_options popts = {
		.argv = argv,
		.env = env,
		.output_path = d->log_path,
	};
	int err;

	if (!params)
		return -EINVAL;

	if (format_path(template, sizeof(template),
			"%s/tests/nm/networkmanager_double.py",
			DISTILLER_SOURCE_DIR) < 0 ||
	    format_path(env_address, sizeof(env_address),
			"DBUS_SYSTEM_BUS_ADDRESS=%s", d->address) < 0) {
		free(params);
		return -ENAMETOOLONG;
	}

	err = process_spawn(&popts, &d->mock);
	free(params);
	if (err < 0)
		return err;

	err = wait_name(d, CONTROL_NAME, true, timeout_ms);
	if (err < 0 && !process_running(d->mock))
		return -ECHILD;
	return err;
}

int nm_double_start(const struct nm_double_options *opts,
		    struct nm_double **out)
{
	static const struct nm_double_options defaults;
	struct nm_double *d;
	unsigned int timeout_ms;
	int err;

	if (!opts)
		opts = &defaults;
	timeout_ms = opts->timeout_ms ? opts->timeout_ms : START_TIMEOUT_MS;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;

	err = harness_temp_dir(d->dir, sizeof(d->dir), "nm-double-");
	if (err < 0) {
		free(d);
		return err;
	}

	if (format_path(d->socket_path, sizeof(d->socket_path), "%s/system_bus",
			d->dir) < 0 ||
	    format_path(d->address, sizeof(d->address), "unix:path=%s",
			d->socket_path) < 0 ||
	    format_path(d->log_path, sizeof(d->log_path), "%s/nm-double.log",
			d->dir) < 0 ||
	    format_path(d->bus_log_path, sizeof(d->bus_log_path),
			"%s/dbus-daemon.log", d->dir) < 0) {
		err = -ENAMETOOLONG;
		goto fail;
	}

	err = start_bus(d, timeout_ms);
	if (err < 0)
		goto fail;

	/* libnm, and anything else in this process, now finds the double */
	setenv("DBUS_SYSTEM_BUS_ADDRESS", d->address, 1);

	err = start_mock(d, opts, timeout_ms);
	if (err < 0)
		goto fail;

	/*
	 * GLib's shared system bus connection ends the process when the bus
	 * goes away; ours goes away at the end of every test.
	 */
	d->system_bus = g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, NULL);
	if (d->system_bus)
		g_dbus_connection_set_exit_on_close(d->system_bus, FALSE);

	*out = d;
	return 0;

fail:
	fprintf(stderr, "nm_double: start failed (%s)%s%s\n", strerror(-err),
		getenv("NM_DOUBLE_KEEP") ? "; logs in " : "",
		getenv("NM_DOUBLE_KEEP") ? d->dir : "");
	nm_double_free(d);
	return err;
}

void nm_double_free(struct nm_double *d)
{
	if (!d)
		return;

	if (d->conn) {
		g_dbus_connection_close_sync(d->conn, NULL, NULL);
		g_object_unref(d->conn);
	}

	process_free(d->mock);
	process_free(d->bus);

	if (d->system_bus)
		g_object_unref(d->system_bus);

	if (d->dir[0] && !getenv("NM_DOUBLE_KEEP"))
		harness_remove_tree(d->dir);

	unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
	free(d);
}

const char *nm_double_bus_address(const struct nm_double *d)
{
	return d->address;
}

const char *nm_double_dir(const struct nm_double *d)
{
	return d->dir;
}

const char *nm_double_log_path(const struct nm_double *d)
{
	return d->log_path;
}

const char *nm_double_last_error(const struct nm_double *d)
{
	return d->error;
}

int nm_double_wait_nm(struct nm_double *d, bool owned, unsigned int timeout_ms)
{
	return wait_name(d, NM_NAME, owned, timeout_ms);
}

int nm_double_call(struct nm_double *d, const char *method, GVariant *args,
		   GVariant **reply)
{
	GError *error = NULL;
	GVariant *ret;
	int err = -EIO;

	d->error[0] = '\0';
	ret = g_dbus_connection_call_sync(d->conn, CONTROL_NAME, CONTROL_PATH,
					  CONTROL_IFACE, method, args, NULL,
					  G_DBUS_CALL_FLAGS_NONE,
					  CALL_TIMEOUT_MS, NULL, &error);
	if (!ret) {
		char *remote = g_dbus_error_get_remote_error(error);

		if (remote && g_str_has_suffix(remote, ".NotCalled"))
			err = -ENOENT;
		else if (g_error_matches(error, G_IO_ERROR,
					 G_IO_ERROR_TIMED_OUT))
			err = -ETIMEDOUT;
		g_dbus_error_strip_remote_error(error);
		snprintf(d->error, sizeof(d->error), "%s%s%s",
			 remote ? remote : "", remote ? ": " : "",
			 error->message);
		g_free(remote);
		g_error_free(error);
		return err;
	}

	if (reply)
		*reply = ret;
	else
		g_variant_unref(ret);
	return 0;
}

static GVariant *ssid_variant(const char *ssid)
{
	return g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE, ssid,
					 strlen(ssid), 1);
}

int nm_double_add_ap_spec(struct nm_double *d, GVariant *spec)
{
	return nm_double_call(d, "AddAccessPoint",
			      g_variant_new("(@a{sv})", spec), NULL);
}

int nm_double_add_ap(struct nm_double *d, const char *ssid,
		     const char *security, unsigned int strength,
		     unsigned int frequency_mhz)
{
	GVariantBuilder b;

	g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&b, "{sv}", "ssid", ssid_variant(ssid));
	g_variant_builder_add(&b, "{sv}", "security",
			      g_variant_new_string(security));
	g_variant_builder_add(&b, "{sv}", "strength",
			      g_variant_new_uint32(strength));
	g_variant_builder_add(&b, "{sv}", "frequency",
			      g_variant_new_uint32(frequency_mhz));
	return nm_double_add_ap_spec(d, g_variant_builder_end(&b));
}

int nm_double_remove_ap(struct nm_double *d, const char *ssid)
{
	return nm_double_call(d, "RemoveAccessPoint",
			      g_variant_new("(@ay)", ssid_variant(ssid)), NULL);
}

int nm_double_set_strength(struct nm_double *d, const char *ssid,
			   unsigned int strength)
{
	return nm_double_call(
		d, "SetStrength",
		g_variant_new("(@ayu)", ssid_variant(ssid), strength), NULL);
}

int nm_double_set_behaviour(struct nm_double *d, const char *ssid,
			    const char *behaviour, const char *psk)
{
	return nm_double_call(d, "SetBehaviour",
			      g_variant_new("(@ayss)", ssid_variant(ssid),
					    behaviour, psk ? psk : ""),
			      NULL);
}

int nm_double_set_step_delay(struct nm_double *d, unsigned int ms)
{
	return nm_double_call(d, "SetStepDelay", g_variant_new("(u)", ms),
			      NULL);
}

int nm_double_drop_connection(struct nm_double *d, unsigned int reason)
{
	return nm_double_call(d, "DropConnection", g_variant_new("(u)", reason),
			      NULL);
}

int nm_double_restart(struct nm_double *d, unsigned int down_ms)
{
	return nm_double_call(d, "Restart", g_variant_new("(u)", down_ms),
			      NULL);
}

int nm_double_add_wifi_device(struct nm_double *d, const char *iface,
			      const char *hw_address)
{
	return nm_double_call(d, "AddWifiDevice",
			      g_variant_new("(ss)", iface, hw_address), NULL);
}

int nm_double_remove_wifi_device(struct nm_double *d)
{
	return nm_double_call(d, "RemoveWifiDevice", NULL, NULL);
}

int nm_double_set_wireless_enabled(struct nm_double *d, bool enabled)
{
	return nm_double_call(d, "SetWirelessEnabled",
			      g_variant_new("(b)", enabled), NULL);
}

int nm_double_get_last_call(struct nm_double *d, const char *method,
			    GVariant **settings, GVariant **options)
{
	GVariant *reply;
	int err;

	err = nm_double_call(d, "GetLastCall", g_variant_new("(s)", method),
			     &reply);
	if (err < 0)
		return err;

	if (settings)
		*settings = g_variant_get_child_value(reply, 0);
	if (options)
		*options = g_variant_get_child_value(reply, 1);
	g_variant_unref(reply);
	return 0;
}

static char **call_strv(struct nm_double *d, const char *method)
{
	GVariant *reply, *list;
	char **out;

	if (nm_double_call(d, method, NULL, &reply) < 0)
		return NULL;

	list = g_variant_get_child_value(reply, 0);
	out = g_variant_dup_strv(list, NULL);
	g_variant_unref(list);
	g_variant_unref(reply);
	return out;
}

char **nm_double_get_calls(struct nm_double *d)
{
	return call_strv(d, "GetCalls");
}

int nm_double_clear_calls(struct nm_double *d)
{
	return nm_double_call(d, "ClearCalls", NULL, NULL);
}

char **nm_double_get_hostnames(struct nm_double *d)
{
	return call_strv(d, "GetHostnames");
}

int nm_double_get_state(struct nm_double *d, GVariant **state)
{
	GVariant *reply;
	int err;

	err = nm_double_call(d, "GetState", NULL, &reply);
	if (err < 0)
		return err;

	*state = g_variant_get_child_value(reply, 0);
	g_variant_unref(reply);
	return 0;
}
