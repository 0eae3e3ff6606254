/* SPDX-License-Identifier: MIT */
/*
 * Joins of the network actor (its thread only): a person's join from a
 * MSG_CONNECT_REQUEST, and the quiet retries of the known network from AP
 * mode. A join takes the active connection (the AP) down, adds and
 * activates a saved client profile (or activates the known one), and ends
 * CONNECTED, or FAILED with a reason in words, after which the access
 * point comes back with the same name and password.
 */
#include <errno.h>
#include <string.h>

#include <NetworkManager.h>

#include "actors/network_ap.h"
#include "actors/network_private.h"
#include "actors/network_reason.h"
#include "messages/msg.h"
#include "runtime/actor.h"
#include "runtime/config.h"
#include "runtime/log.h"

#define SSID_LOG_MAX (MSG_SSID_MAX * 4 + 1)

static void profile_deleted_cb(GObject *source, GAsyncResult *result,
			       gpointer data)
{
	GError *error = NULL;

	(void)data;
	if (!nm_remote_connection_delete_finish(NM_REMOTE_CONNECTION(source),
						result, &error)) {
		if (!network_cancelled(error))
			log_warning("Failed to delete a profile: %s, ignoring",
				    error->message);
		g_error_free(error);
	}
}

void network_delete_profile(struct network *net, const char *uuid)
{
	NMRemoteConnection *remote;

	remote = nm_client_get_connection_by_uuid(net->client, uuid);
	if (remote)
		nm_remote_connection_delete_async(remote, net->cancellable,
						  profile_deleted_cb, net);
}

/* Deletes older profiles of the network just joined: one per SSID. */
static void delete_duplicates(struct network *net, const char *keep_uuid,
			      const struct msg_ssid *ssid)
{
	const GPtrArray *all = nm_client_get_connections(net->client);
	struct msg_ssid other;
	NMConnection *c;
	guint i;

	for (i = 0; all && i < all->len; i++) {
		c = all->pdata[i];
		if (!network_profile_is_client(c) ||
		    !g_strcmp0(nm_connection_get_uuid(c), keep_uuid) ||
		    !network_profile_ssid(c, &other) ||
		    other.len != ssid->len ||
		    memcmp(other.bytes, ssid->bytes, ssid->len))
			continue;

		nm_remote_connection_delete_async(NM_REMOTE_CONNECTION(c),
						  net->cancellable,
						  profile_deleted_cb, net);
	}
}

void network_join_clear(struct network *net)
{
	network_timeout_clear(&net->join.timeout);
	/*
	 * The struct lives on in the heap and is read again, so this store
	 * of zeroes (the password included) cannot be optimised away.
	 * explicit_bzero() here sets off a false -Wstringop-overflow in
	 * gcc 12's ThreadSanitizer builds.
	 */
	net->join = (struct network_join){ 0 };
}

void network_join_succeeded(struct network *net, NMActiveConnection *ac)
{
	network_timeout_clear(&net->join.timeout);
	if (net->join.profile_new)
		delete_duplicates(net, net->join.profile_uuid, &net->join.ssid);

	network_connected(net, ac);
	explicit_bzero(net->join.password, sizeof(net->join.password));
}

/*
 * A join ended without a connection. A person's join reports FAILED with
 * the reason and forgets the profile it added; a retry goes quietly back.
 * Either way the access point comes back with the same name and password.
 */
static const char *failure_name(enum network_failure failure)
{
	switch (failure) {
	case NETWORK_FAILURE_NONE:
		return "no reason";
	case NETWORK_FAILURE_WRONG_PASSWORD:
		return "wrong password";
	case NETWORK_FAILURE_NOT_FOUND:
		return "network not found";
	case NETWORK_FAILURE_ASSOC_TIMEOUT:
		return "association timed out";
	case NETWORK_FAILURE_DHCP:
		return "DHCP failed";
	case NETWORK_FAILURE_NO_DEVICE:
		return "no WiFi device";
	case NETWORK_FAILURE_TIMEOUT:
		return "timed out";
	case NETWORK_FAILURE_NM_RESTARTED:
		return "NetworkManager restarted";
	case NETWORK_FAILURE_AP_FAILED:
		return "access point failed";
	case NETWORK_FAILURE_OTHER:
		return "NetworkManager gave up";
	}

	return "unknown";
}

void network_join_failed(struct network *net, enum network_failure failure)
{
	char reason[MSG_TEXT_MAX], name[SSID_LOG_MAX];
	NMActiveConnection *ac = net->ac;

	if (net->phase != NETWORK_PHASE_JOINING)
		return;

	if (failure == NETWORK_FAILURE_NONE)
		failure = NETWORK_FAILURE_OTHER;

	network_reason_text(failure, &net->join.ssid, reason, sizeof(reason));
	/* the reason quotes the SSID unescaped: log the kind instead */
	log_info("Failed to join \"%s\": %s",
		 network_ssid_log(name, sizeof(name), &net->join.ssid),
		 failure_name(failure));

	/* a join still running in NM must not take the AP down later */
	if (ac &&
	    nm_active_connection_get_state(ac) <
		    NM_ACTIVE_CONNECTION_STATE_DEACTIVATING &&
	    network_nm_ready(net))
		nm_client_deactivate_connection_async(net->client, ac, NULL,
						      NULL, NULL);
	network_unwatch_ac(net);

	if (net->join.user) {
		network_emit(net, WIFI_STATE_FAILED, &net->join.ssid, "",
			     reason, net->join.session_id);
		if (net->join.profile_new && network_nm_ready(net))
			network_delete_profile(net, net->join.profile_uuid);
	}

	network_join_clear(net);
	if (network_nm_ready(net))
		network_raise_ap(net);
	else
		net->phase = NETWORK_PHASE_STARTING;
}

static gboolean join_timeout_cb(gpointer data)
{
	struct network *net = data;

	network_timeout_clear(&net->join.timeout);
	if (net->phase == NETWORK_PHASE_JOINING)
		network_join_failed(net, net->join.user ?
						 NETWORK_FAILURE_TIMEOUT :
						 NETWORK_FAILURE_OTHER);
	return G_SOURCE_REMOVE;
}

static void join_activation_started(struct network *net, NMActiveConnection *ac)
{
	NMRemoteConnection *remote = nm_active_connection_get_connection(ac);

	if (remote && net->join.profile_new)
		msg_strlcpy(net->join.profile_uuid,
			    sizeof(net->join.profile_uuid),
			    nm_connection_get_uuid(NM_CONNECTION(remote)));

	net->join.activating = true;
	network_watch_ac(net, ac);
	network_emit(net, WIFI_STATE_CONNECTING, &net->join.ssid, "", "",
		     net->join.session_id);

	if (nm_active_connection_get_state(ac) ==
	    NM_ACTIVE_CONNECTION_STATE_ACTIVATED)
		network_join_succeeded(net, ac);
}

static void join_added_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	struct network *net = data;
	NMActiveConnection *ac;
	GError *error = NULL;

	ac = nm_client_add_and_activate_connection2_finish(
		NM_CLIENT(source), result, NULL, &error);
	if (!ac) {
		if (!network_cancelled(error)) {
			log_warning("Failed to add the profile: %s",
				    error->message);
			network_join_failed(net, NETWORK_FAILURE_OTHER);
		}
		g_error_free(error);
		return;
	}

	if (net->phase == NETWORK_PHASE_JOINING && !net->join.activating)
		join_activation_started(net, ac);
	g_object_unref(ac);
}

static void join_activated_cb(GObject *source, GAsyncResult *result,
			      gpointer data)
{
	struct network *net = data;
	NMActiveConnection *ac;
	GError *error = NULL;

	ac = nm_client_activate_connection_finish(NM_CLIENT(source), result,
						  &error);
	if (!ac) {
		if (!network_cancelled(error)) {
			log_warning("Failed to activate the known network: %s",
				    error->message);
			network_join_failed(net, NETWORK_FAILURE_OTHER);
		}
		g_error_free(error);
		return;
	}

	if (net->phase == NETWORK_PHASE_JOINING && !net->join.activating)
		join_activation_started(net, ac);
	g_object_unref(ac);
}

/* The strongest access point of @ssid, for its security flags. */
static NMAccessPoint *find_ap(struct network *net, const struct msg_ssid *ssid)
{
	const GPtrArray *aps;
	NMAccessPoint *best = NULL;
	const void *data;
	GBytes *bytes;
	gsize len;
	guint i;

	aps = nm_device_wifi_get_access_points(net->device);
	for (i = 0; aps && i < aps->len; i++) {
		bytes = nm_access_point_get_ssid(aps->pdata[i]);
		if (!bytes)
			continue;

		data = g_bytes_get_data(bytes, &len);
		if (len != ssid->len || memcmp(data, ssid->bytes, len))
			continue;

		if (!best || nm_access_point_get_strength(aps->pdata[i]) >
				     nm_access_point_get_strength(best))
			best = aps->pdata[i];
	}

	return best;
}

static void join_add_profile(struct network *net)
{
	struct network_join *join = &net->join;
	enum network_key_mgmt key_mgmt;
	GVariantBuilder options;
	NMConnection *profile;
	NMAccessPoint *ap;
	GError *error = NULL;

	ap = find_ap(net, &join->ssid);
	key_mgmt =
		network_key_mgmt_for(ap ? nm_access_point_get_flags(ap) : 0,
				     ap ? nm_access_point_get_wpa_flags(ap) : 0,
				     ap ? nm_access_point_get_rsn_flags(ap) : 0,
				     join->password[0] != '\0');

	profile = network_client_profile_new(&join->ssid, join->password,
					     join->hidden, key_mgmt, &error);
	if (!profile) {
		log_warning("Failed to build the profile: %s", error->message);
		g_error_free(error);
		network_join_failed(net, NETWORK_FAILURE_OTHER);
		return;
	}

	join->profile_new = true;
	msg_strlcpy(join->profile_uuid, sizeof(join->profile_uuid),
		    nm_connection_get_uuid(profile));

	g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
	g_variant_builder_add(&options, "{sv}", "persist",
			      g_variant_new_string("disk"));
	nm_client_add_and_activate_connection2(net->client, profile,
					       NM_DEVICE(net->device), NULL,
					       g_variant_builder_end(&options),
					       net->cancellable, join_added_cb,
					       net);
	g_object_unref(profile);
}

static void join_activate(struct network *net)
{
	NMRemoteConnection *known;

	if (net->phase != NETWORK_PHASE_JOINING)
		return;

	network_leave_ap_mode(net);

	if (net->join.user) {
		join_add_profile(net);
		return;
	}

	known = nm_client_get_connection_by_uuid(net->client,
						 net->join.profile_uuid);
	if (!known) {
		network_join_failed(net, NETWORK_FAILURE_OTHER);
		return;
	}

	nm_client_activate_connection_async(net->client, NM_CONNECTION(known),
					    NM_DEVICE(net->device), NULL,
					    net->cancellable, join_activated_cb,
					    net);
}

static void deactivated_for_join_cb(GObject *source, GAsyncResult *result,
				    gpointer data)
{
	struct network *net = data;
	GError *error = NULL;

	if (!nm_client_deactivate_connection_finish(NM_CLIENT(source), result,
						    &error)) {
		if (network_cancelled(error)) {
			g_error_free(error);
			return;
		}

		/* already gone is as good as deactivated */
		log_debug("Deactivation before the join: %s", error->message);
		g_error_free(error);
	}

	join_activate(net);
}

/*
 * Starts the join described in net->join: SWITCHING for a person's join,
 * the active connection (the AP) down, then the profile up.
 */
void network_start_join(struct network *net, bool user)
{
	NMActiveConnection *active;
	char name[SSID_LOG_MAX];
	unsigned int timeout_s = net->cfg->join_timeout_s;

	net->join.user = user;
	net->phase = NETWORK_PHASE_JOINING;
	network_timeout_clear(&net->grace_timer);
	network_timeout_clear(&net->retry_timer);
	network_unwatch_ac(net);

	log_info("%s \"%s\"", user ? "Joining" : "Retrying",
		 network_ssid_log(name, sizeof(name), &net->join.ssid));

	if (user)
		network_emit(net, WIFI_STATE_SWITCHING, &net->join.ssid, "", "",
			     net->join.session_id);

	net->join.timeout = network_timeout_new(net, MAX(timeout_s, 1) * 1000,
						join_timeout_cb);

	active = nm_device_get_active_connection(NM_DEVICE(net->device));
	if (!active) {
		join_activate(net);
		return;
	}

	nm_client_deactivate_connection_async(net->client, active,
					      net->cancellable,
					      deactivated_for_join_cb, net);
}

static bool password_valid(const char *password)
{
	size_t len = strlen(password), i;

	if (len == 0)
		return true;

	if (len == 64) {
		for (i = 0; i < len; i++) {
			if (!g_ascii_isxdigit(password[i]))
				return false;
		}
		return true;
	}

	if (len < 8 || len > 63)
		return false;

	for (i = 0; i < len; i++) {
		if (password[i] < 0x20 || password[i] > 0x7e)
			return false;
	}

	return true;
}

static bool join_in_progress(const struct network *net)
{
	return net->phase == NETWORK_PHASE_JOINING ||
	       net->phase == NETWORK_PHASE_LEAVING ||
	       net->reported == WIFI_STATE_SWITCHING ||
	       net->reported == WIFI_STATE_CONNECTING;
}

void network_handle_connect(struct network *net, const struct msg *m)
{
	const struct msg_connect_request *req = &m->body.connect;

	if (req->ssid.len < 1 || req->ssid.len > MSG_SSID_MAX) {
		network_reply(net, m, -EINVAL,
			      "The network name must be 1 to 32 bytes",
			      req->session_id);
		return;
	}

	if (!password_valid(req->password)) {
		network_reply(
			net, m, -EINVAL,
			"The password must be 8 to 63 characters or 64 hex "
			"digits",
			req->session_id);
		return;
	}

	if (!network_nm_ready(net)) {
		network_reply(net, m, -ENODEV, "NetworkManager is not running",
			      req->session_id);
		return;
	}

	if (!net->device) {
		network_reply(net, m, -ENODEV, "No WiFi device found",
			      req->session_id);
		return;
	}

	if (join_in_progress(net)) {
		network_reply(net, m, -EBUSY,
			      "A connection attempt is already in progress",
			      req->session_id);
		return;
	}

	network_reply(net, m, 0, "", req->session_id);

	network_join_clear(net);
	net->join.ssid = req->ssid;
	net->join.hidden = req->hidden;
	msg_strlcpy(net->join.password, sizeof(net->join.password),
		    req->password);
	msg_strlcpy(net->join.session_id, sizeof(net->join.session_id),
		    req->session_id);
	network_start_join(net, true);
}
