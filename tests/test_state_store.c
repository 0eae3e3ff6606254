/* SPDX-License-Identifier: MIT */
/*
 * Atomic, durable state files: a writer killed at every step of a write
 * leaves the old file or the new one, whole; every kind of damaged file
 * is reported with its path and yields defaults; a symlink at the
 * temporary or the final path is refused and its target left alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <criterion/criterion.h>

#include "actors/state_store.h"

/* Big enough that a write takes several write(2) calls. */
#define PAD_LEN (3 * STATE_STORE_WRITE_CHUNK)

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/distiller-store-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static int remove_cb(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_dir(void)
{
	state_store_set_fault_hook(NULL, NULL);
	nftw(dir, remove_cb, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(state_store, .init = make_dir, .fini = remove_dir);

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

static void write_raw(const char *name, const void *data, size_t len)
{
	char path[128];
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *read_raw(const char *name)
{
	char path[128];
	static char buf[4 * PAD_LEN];
	ssize_t n;
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;

	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert(n >= 0);
	buf[n] = '\0';
	return buf;
}

static bool exists(const char *name)
{
	char path[128];
	struct stat st;

	path_of(path, sizeof(path), name);
	return lstat(path, &st) == 0;
}

/* {"gen": gen, "pad": "ggg...g"} with PAD_LEN copies of 'a' + gen. */
static cJSON *make_doc(int gen)
{
	static char pad[PAD_LEN + 1];
	cJSON *root = cJSON_CreateObject();

	memset(pad, 'a' + gen, PAD_LEN);
	pad[PAD_LEN] = '\0';
	cJSON_AddNumberToObject(root, "gen", gen);
	cJSON_AddStringToObject(root, "pad", pad);
	return root;
}

static void write_doc(int gen)
{
	char err[STATE_STORE_ERROR_MAX];
	cJSON *doc = make_doc(gen);
	int r = state_store_write_json(dir, "doc.json", doc, err);

	cJSON_Delete(doc);
	cr_assert_eq(r, 0, "write failed: %s", err);
}

/* Reads doc.json; returns its generation after checking its padding. */
static int read_doc_gen(void)
{
	char err[STATE_STORE_ERROR_MAX];
	const cJSON *gen, *pad;
	cJSON *root;
	int r, g;

	r = state_store_read_json(dir, "doc.json", &root, err);
	if (r == -ENOENT)
		return -1;
	cr_assert_eq(r, 0, "read failed: %s", err);

	gen = cJSON_GetObjectItem(root, "gen");
	pad = cJSON_GetObjectItem(root, "pad");
	cr_assert(cJSON_IsNumber(gen) && cJSON_IsString(pad));
	g = gen->valueint;
	cr_assert_eq(strlen(pad->valuestring), PAD_LEN);
	for (size_t i = 0; i < PAD_LEN; i++)
		cr_assert_eq(pad->valuestring[i], 'a' + g);

	cJSON_Delete(root);
	return g;
}

struct crash_at {
	const char *step;
	int nth; /* die at the nth call of step */
	int seen;
};

static int crash_cb(const char *step, void *user_data)
{
	struct crash_at *c = user_data;

	if (strcmp(step, c->step) == 0 && ++c->seen == c->nth)
		kill(getpid(), SIGKILL);

	return 0;
}

/* Forks a writer of generation @gen that is killed at @step. */
static void crash_writer(const char *step, int nth, int gen)
{
	struct crash_at c = { step, nth, 0 };
	int status;
	pid_t pid;

	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char err[STATE_STORE_ERROR_MAX];
		cJSON *doc = make_doc(gen);

		state_store_set_fault_hook(crash_cb, &c);
		state_store_write_json(dir, "doc.json", doc, err);
		_exit(3); /* the step was never reached */
	}

	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		  "writer was not killed at %s #%d (status %d)", step, nth,
		  status);
}

static const struct crash_at steps[] = {
	{ "open", 1, 0 },     { "write", 1, 0 }, { "write", 2, 0 },
	{ "write", 3, 0 },    { "fsync", 1, 0 }, { "rename", 1, 0 },
	{ "dirfsync", 1, 0 },
};

Test(state_store, crash_at_every_step_leaves_old_or_new_file)
{
	int gen = 0;

	write_doc(gen);

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool renamed = strcmp(steps[i].step, "dirfsync") == 0;
		int got;

		crash_writer(steps[i].step, steps[i].nth, gen + 1);
		got = read_doc_gen();

		/* Before the rename the old file stands; after it, the new. */
		cr_expect_eq(got, renamed ? gen + 1 : gen,
			     "killed at %s #%d: generation %d", steps[i].step,
			     steps[i].nth, got);
		gen = got;

		/* The next writer clears whatever the dead one left. */
		write_doc(gen + 1);
		gen++;
		cr_expect_eq(read_doc_gen(), gen);
		cr_expect(!exists("doc.json.tmp"));
	}
}

Test(state_store, crash_before_first_file_leaves_no_file_or_new_one)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		bool renamed = strcmp(steps[i].step, "dirfsync") == 0;
		char path[128];

		path_of(path, sizeof(path), "doc.json");
		unlink(path);
		crash_writer(steps[i].step, steps[i].nth, 5);
		cr_expect_eq(read_doc_gen(), renamed ? 5 : -1,
			     "killed at %s #%d", steps[i].step, steps[i].nth);
	}
}

static int fail_cb(const char *step, void *user_data)
{
	return strcmp(step, user_data) == 0 ? -ENOSPC : 0;
}

Test(state_store, failed_step_keeps_old_file_and_removes_temp)
{
	static const char *fail_steps[] = { "open", "write", "fsync",
					    "rename" };
	char err[STATE_STORE_ERROR_MAX];

	write_doc(1);

	for (size_t i = 0; i < 4; i++) {
		cJSON *doc = make_doc(2);
		int r;

		state_store_set_fault_hook(fail_cb, (void *)fail_steps[i]);
		r = state_store_write_json(dir, "doc.json", doc, err);
		state_store_set_fault_hook(NULL, NULL);
		cJSON_Delete(doc);

		cr_expect_eq(r, -ENOSPC, "%s: %d", fail_steps[i], r);
		cr_expect(strstr(err, dir), "error names the path: %s", err);
		cr_expect_eq(read_doc_gen(), 1);
		cr_expect(!exists("doc.json.tmp"), "%s left the temp",
			  fail_steps[i]);
	}
}

Test(state_store, writes_mode_0600_and_ends_in_newline)
{
	char path[128];
	struct stat st;
	mode_t old = umask(0);
	const char *text;

	write_doc(3);
	umask(old);

	path_of(path, sizeof(path), "doc.json");
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0600);
	text = read_raw("doc.json");
	cr_expect_eq(text[strlen(text) - 1], '\n');
}

Test(state_store, creates_missing_directory)
{
	char sub[128];
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r, back;
	struct stat st;

	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	state_record_defaults(&r);
	r.seq = 7;
	cr_assert_eq(state_store_save(sub, &r, err), 0, "%s", err);
	cr_assert_eq(stat(sub, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(state_store_load(sub, &back, err), 0, "%s", err);
	cr_expect_eq(back.seq, 7);
}

Test(state_store, record_round_trips)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r, back;
	static const uint8_t odd[] = { 0x00, 'H', 0xff, '"', '\n' };

	state_record_defaults(&r);
	r.seq = 123456789012ULL;
	r.time_ms = 1764000000123ULL;
	memcpy(r.ssid.bytes, odd, sizeof(odd));
	r.ssid.len = sizeof(odd);
	memcpy(r.last_ssid.bytes, "HomeNet", 7);
	r.last_ssid.len = 7;
	strcpy(r.error, "Wrong password for \"Cafe\"");
	strcpy(r.session_id, "6f1c2f0e-8f3a-4c59-9e57-2b8c1a0d9e11");
	strcpy(r.tunnel_url, "https://abc.devices.pamir.ai");
	strcpy(r.tunnel_provider, "frp");

	cr_assert_eq(state_store_save(dir, &r, err), 0, "%s", err);
	cr_assert_eq(state_store_load(dir, &back, err), 0, "%s", err);
	cr_expect_eq(memcmp(&r, &back, sizeof(r)), 0);
	cr_expect(!strstr(read_raw(STATE_FILE_NAME), "password\""));
}

struct bad_file {
	const char *what;
	const char *text; /* NULL: do not create the file */
	int code;
	const char *mention; /* the message must contain this */
};

#define GOOD_HEAD "{\"version\":1,\"seq\":4,\"time_ms\":5,"
#define GOOD_TAIL                                                 \
	"\"error\":\"\",\"session_id\":\"\",\"tunnel_url\":\"\"," \
	"\"tunnel_provider\":\"\"}"

static const struct bad_file bad_files[] = {
	{ "missing", NULL, -ENOENT, "does not exist" },
	{ "empty", "", -ENODATA, "empty" },
	{ "blank", " \n\t\n", -ENODATA, "empty" },
	{ "truncated", GOOD_HEAD "\"ssid_hex\":\"41", -EBADMSG, "not JSON" },
	{ "garbage", "\x89PNG\r\n\x1a\n", -EBADMSG, "not JSON" },
	{ "trailing", "{} {}", -EBADMSG, "not JSON" },
	{ "array", "[1,2]", -EBADMSG, "not a JSON object" },
	{ "string", "\"hello\"", -EBADMSG, "not a JSON object" },
	{ "no version", "{\"seq\":1}", -EBADMSG, "\"version\" is missing" },
	{ "new version", "{\"version\":2}", -EBADMSG, "version 2" },
	{ "seq string",
	  "{\"version\":1,\"seq\":\"4\",\"time_ms\":5,\"ssid_hex\":\"\","
	  "\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "\"seq\" must be a number" },
	{ "seq negative",
	  "{\"version\":1,\"seq\":-4,\"time_ms\":5,\"ssid_hex\":\"\","
	  "\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "\"seq\" must be an integer" },
	{ "seq fraction",
	  "{\"version\":1,\"seq\":4.5,\"time_ms\":5,\"ssid_hex\":\"\","
	  "\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "\"seq\" must be an integer" },
	{ "ssid number",
	  GOOD_HEAD "\"ssid_hex\":41,\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "\"ssid_hex\" must be a string" },
	{ "ssid odd",
	  GOOD_HEAD "\"ssid_hex\":\"414\",\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "even number" },
	{ "ssid not hex",
	  GOOD_HEAD "\"ssid_hex\":\"zz\",\"last_ssid_hex\":"
		    "\"\"," GOOD_TAIL,
	  -EBADMSG, "hex digits" },
	{ "ssid too long",
	  GOOD_HEAD
	  "\"ssid_hex\":\""
	  "4141414141414141414141414141414141414141414141414141414141414141"
	  "41\",\"last_ssid_hex\":\"\"," GOOD_TAIL,
	  -EBADMSG, "longer" },
	{ "error null",
	  GOOD_HEAD "\"ssid_hex\":\"\",\"last_ssid_hex\":\"\","
		    "\"error\":null,\"session_id\":\"\",\"tunnel_url\":\"\","
		    "\"tunnel_provider\":\"\"}",
	  -EBADMSG, "\"error\" must be a string" },
	{ "provider missing",
	  GOOD_HEAD
	  "\"ssid_hex\":\"\",\"last_ssid_hex\":"
	  "\"\",\"error\":\"\",\"session_id\":\"\",\"tunnel_url\":\"\"}",
	  -EBADMSG, "\"tunnel_provider\" is missing" },
};

Test(state_store, every_kind_of_damaged_file_yields_defaults)
{
	for (size_t i = 0; i < sizeof(bad_files) / sizeof(bad_files[0]); i++) {
		const struct bad_file *b = &bad_files[i];
		char err[STATE_STORE_ERROR_MAX] = "";
		struct state_record r, zero;
		char path[128];
		int ret;

		path_of(path, sizeof(path), STATE_FILE_NAME);
		unlink(path);
		if (b->text)
			write_raw(STATE_FILE_NAME, b->text, strlen(b->text));

		memset(&r, 0xa5, sizeof(r));
		ret = state_store_load(dir, &r, err);
		state_record_defaults(&zero);

		cr_expect_eq(ret, b->code, "%s: got %d (%s)", b->what, ret,
			     err);
		cr_expect(strstr(err, path), "%s: no path in \"%s\"", b->what,
			  err);
		cr_expect(strstr(err, b->mention), "%s: \"%s\" lacks \"%s\"",
			  b->what, err, b->mention);
		cr_expect_eq(memcmp(&r, &zero, sizeof(r)), 0,
			     "%s: not defaults", b->what);

		/* Replacing it with defaults works and reads back. */
		cr_assert_eq(state_store_save(dir, &zero, err), 0, "%s", err);
		cr_expect_eq(state_store_load(dir, &r, err), 0, "%s", err);
	}
}

Test(state_store, good_file_written_by_hand_is_read)
{
	static const char text[] = GOOD_HEAD
		"\"ssid_hex\":\"486f6d65\","
		"\"last_ssid_hex\":\"\"," GOOD_TAIL;
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;

	write_raw(STATE_FILE_NAME, text, strlen(text));
	cr_assert_eq(state_store_load(dir, &r, err), 0, "%s", err);
	cr_expect_eq(r.seq, 4);
	cr_expect_eq(r.ssid.len, 4);
	cr_expect_eq(memcmp(r.ssid.bytes, "Home", 4), 0);
}

Test(state_store, refuses_oversized_file)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	char *big = malloc(STATE_STORE_FILE_MAX + 10);

	memset(big, ' ', STATE_STORE_FILE_MAX + 10);
	big[0] = '{';
	big[STATE_STORE_FILE_MAX + 9] = '}';
	write_raw(STATE_FILE_NAME, big, STATE_STORE_FILE_MAX + 10);
	free(big);
	cr_expect_eq(state_store_load(dir, &r, err), -EFBIG, "%s", err);
}

Test(state_store, refuses_directory_and_fifo_in_place_of_the_file)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	char path[128];

	path_of(path, sizeof(path), STATE_FILE_NAME);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_expect_eq(state_store_load(dir, &r, err), -EINVAL, "%s", err);
	cr_expect_eq(state_store_save(dir, &r, err), -EEXIST, "%s", err);
	unlink(path);

	cr_assert_eq(mkdir(path, 0700), 0);
	cr_expect_eq(state_store_load(dir, &r, err), -EINVAL, "%s", err);
	cr_expect_eq(state_store_save(dir, &r, err), -EEXIST, "%s", err);
}

static void plant_victim(char *victim, size_t size)
{
	snprintf(victim, size, "%s/victim", dir);
	write_raw("victim", "precious\n", 9);
}

static void expect_victim_untouched(const char *link_name)
{
	char path[128];
	struct stat st;

	cr_expect_str_eq(read_raw("victim"), "precious\n");
	path_of(path, sizeof(path), link_name);
	cr_assert_eq(lstat(path, &st), 0);
	cr_expect(S_ISLNK(st.st_mode), "%s is no longer a link", link_name);
}

Test(state_store, refuses_symlink_at_final_path)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	char victim[128], path[128];

	plant_victim(victim, sizeof(victim));
	path_of(path, sizeof(path), STATE_FILE_NAME);
	cr_assert_eq(symlink(victim, path), 0);

	cr_expect_eq(state_store_load(dir, &r, err), -ELOOP, "%s", err);
	cr_expect(strstr(err, "symbolic link") && strstr(err, path), "%s", err);

	state_record_defaults(&r);
	r.seq = 9;
	cr_expect_eq(state_store_save(dir, &r, err), -ELOOP, "%s", err);
	expect_victim_untouched(STATE_FILE_NAME);
	cr_expect(!exists(STATE_FILE_NAME ".tmp"));
}

Test(state_store, refuses_symlink_at_temp_path)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	char victim[128], path[128];

	plant_victim(victim, sizeof(victim));
	path_of(path, sizeof(path), STATE_FILE_NAME ".tmp");
	cr_assert_eq(symlink(victim, path), 0);

	state_record_defaults(&r);
	cr_expect_eq(state_store_save(dir, &r, err), -ELOOP, "%s", err);
	cr_expect(strstr(err, "symbolic link") && strstr(err, path), "%s", err);
	expect_victim_untouched(STATE_FILE_NAME ".tmp");
	cr_expect(!exists(STATE_FILE_NAME));
}

Test(state_store, refuses_dangling_symlink_at_temp_path)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;
	char victim[128], path[128];
	struct stat st;

	snprintf(victim, sizeof(victim), "%s/not-there", dir);
	path_of(path, sizeof(path), STATE_FILE_NAME ".tmp");
	cr_assert_eq(symlink(victim, path), 0);

	state_record_defaults(&r);
	cr_expect_eq(state_store_save(dir, &r, err), -ELOOP, "%s", err);
	cr_expect_eq(lstat(victim, &st), -1, "the link's target was created");
}

Test(state_store, replaces_stale_regular_temp_file)
{
	char err[STATE_STORE_ERROR_MAX];
	struct state_record r;

	write_raw(STATE_FILE_NAME ".tmp", "{\"half", 6);
	state_record_defaults(&r);
	r.seq = 11;
	cr_assert_eq(state_store_save(dir, &r, err), 0, "%s", err);
	cr_assert_eq(state_store_load(dir, &r, err), 0, "%s", err);
	cr_expect_eq(r.seq, 11);
	cr_expect(!exists(STATE_FILE_NAME ".tmp"));
}
