/* test_cedar.c - the CEDAR frame reader (every short, long and malformed
 * shape is an error with a reason) and DC_QUERY_INSTANCE against
 * in-process servers on loopback: one that answers an id, one that closes
 * at once, one that never answers, one that answers garbage, one that
 * answers half a frame; a port with nothing listening. (A name that does
 * not resolve is the integration tests' case: they run where no name
 * lookup leaves the machine.) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "annex/cedar.h"
#include "harness.h"

static const unsigned char good[] = { 1, 0, 0, 0, 16, '0', '1', '2', '3', '4', '5', '6', '7',
				      '8', '9', 'a', 'b', 'c', 'd', 'e', 'f' };

static int parse(const void *d, size_t n, char id[17], struct annex_err *err)
{
	annex_err_clear(err);
	return cedar_parse_reply(d, n, id, err);
}

static void t_request_frame(void)
{
	unsigned char r[CEDAR_REQUEST_LEN];
	static const unsigned char want[] = { 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0xea, 0x8d };

	cedar_request(r, CEDAR_DC_QUERY_INSTANCE);
	CHECK(memcmp(r, want, sizeof(want)) == 0);    /* 60045 = 0xea8d */
}

static void t_parse_good(void)
{
	struct annex_err err;
	char id[17];
	unsigned char withnul[22];

	CHECK_INT(parse(good, sizeof(good), id, &err), 1);
	CHECK_STR(id, "0123456789abcdef");
	memcpy(withnul, good, sizeof(good));
	withnul[4] = 17;
	withnul[21] = 0;
	CHECK_INT(parse(withnul, sizeof(withnul), id, &err), 1);
	CHECK_STR(id, "0123456789abcdef");
}

static void t_parse_split_frames(void)
{
	/* a message in two frames: flag 0, then flag 1 */
	static const unsigned char two[] = { 0, 0, 0, 0, 6, 'A', 'B', 'C', 'D', 'E', 'F',
					     1, 0, 0, 0, 10, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9' };
	struct annex_err err;
	char id[17];

	CHECK_INT(parse(two, sizeof(two), id, &err), 1);
	CHECK_STR(id, "ABCDEF0123456789");
}

static void t_parse_incomplete(void)
{
	struct annex_err err;
	char id[17];

	for (size_t n = 0; n < sizeof(good); n++)
		CHECK_INT(parse(good, n, id, &err), 0);
}

static void t_parse_malformed(void)
{
	struct annex_err err;
	char id[17];
	unsigned char b[65];

	memcpy(b, good, sizeof(good));
	b[0] = 2;
	CHECK_INT(parse(b, sizeof(good), id, &err), -1);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "not a CEDAR frame") != NULL);

	memcpy(b, good, sizeof(good));
	b[1] = 0xff;        /* a 4 GB frame */
	CHECK_INT(parse(b, sizeof(good), id, &err), -1);
	CHECK(strstr(err.msg, "longer than any answer") != NULL);

	memcpy(b, good, sizeof(good));
	b[4] = 15;          /* 15 bytes of payload, one byte after the message */
	CHECK_INT(parse(b, sizeof(good), id, &err), -1);
	CHECK(strstr(err.msg, "after the end") != NULL);

	memcpy(b, good, sizeof(good));
	b[4] = 4;
	CHECK_INT(parse(b, 9, id, &err), -1);
	CHECK(strstr(err.msg, "4 bytes") != NULL);

	memcpy(b, good, sizeof(good));
	b[10] = 'g';
	CHECK_INT(parse(b, sizeof(good), id, &err), -1);
	CHECK(strstr(err.msg, "not a hexadecimal") != NULL);

	memset(b, 0, sizeof(b));     /* empty frames, none the last: more to read */
	CHECK_INT(parse(b, sizeof(b), id, &err), 0);
	b[60] = 1;                   /* ... then an empty last frame: no id */
	CHECK_INT(parse(b, sizeof(b), id, &err), -1);
	CHECK(strstr(err.msg, "0 bytes") != NULL);
	CHECK(id[0] == 0);
}

static void t_parse_too_long(void)
{
	unsigned char big[CEDAR_MAX_REPLY + 10];
	struct annex_err err;
	char id[17];

	memset(big, 0, sizeof(big));
	CHECK_INT(parse(big, sizeof(big), id, &err), -1);
	CHECK(strstr(err.msg, "longer than") != NULL);
}

/* ---- in-process servers ---- */

enum behaviour { ANSWER, CLOSE, SILENT, GARBAGE, HALF };

struct server {
	int fd, port;
	enum behaviour how;
	unsigned char got[CEDAR_REQUEST_LEN];
	size_t n_got;
	pthread_t th;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);

	if (c < 0)
		return NULL;
	if (s->how != CLOSE)
		while (s->n_got < sizeof(s->got)) {
			ssize_t r = recv(c, s->got + s->n_got, sizeof(s->got) - s->n_got, 0);
			if (r <= 0)
				break;
			s->n_got += (size_t)r;
		}
	if (s->how == ANSWER)
		send(c, good, sizeof(good), MSG_NOSIGNAL);
	else if (s->how == GARBAGE)
		send(c, "HTTP/1.0 400 Bad\r\n\r\n", 20, MSG_NOSIGNAL);
	else if (s->how == HALF)
		send(c, good, 9, MSG_NOSIGNAL);
	if (s->how == SILENT) {
		char x;
		recv(c, &x, 1, 0);      /* until the client gives up */
	}
	close(c);
	return NULL;
}

static void server_start(struct server *s, enum behaviour how)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->how = how;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s->fd, (struct sockaddr *)&a, sizeof(a));
	listen(s->fd, 4);
	getsockname(s->fd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	pthread_create(&s->th, NULL, serve, s);
}

static void server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	close(s->fd);
}

static int query(struct server *s, int timeout_ms, char id[17], struct annex_err *err)
{
	annex_err_clear(err);
	return cedar_query_instance("127.0.0.1", s->port, timeout_ms, id, err);
}

static void t_query_answers(void)
{
	static const unsigned char want[] = { 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0xea, 0x8d };
	struct server s;
	struct annex_err err;
	char id[17];

	server_start(&s, ANSWER);
	CHECK_INT(query(&s, 5000, id, &err), 0);
	server_stop(&s);
	CHECK_STR(id, "0123456789abcdef");
	CHECK_INT(s.n_got, sizeof(want));
	CHECK(memcmp(s.got, want, sizeof(want)) == 0);
}

static void t_query_closed(void)
{
	struct server s;
	struct annex_err err;
	char id[17];

	server_start(&s, CLOSE);
	CHECK_INT(query(&s, 5000, id, &err), -1);
	server_stop(&s);
	CHECK_STR(err.code, "Closed");
	CHECK(strstr(err.msg, "127.0.0.1:") != NULL);
	CHECK(id[0] == 0);
}

static void t_query_silent(void)
{
	struct server s;
	struct annex_err err;
	char id[17];

	server_start(&s, SILENT);
	CHECK_INT(query(&s, 300, id, &err), -1);
	server_stop(&s);
	CHECK_STR(err.code, "Timeout");
	CHECK(strstr(err.msg, "no answer within the time limit") != NULL);
}

static void t_query_garbage(void)
{
	struct server s;
	struct annex_err err;
	char id[17];

	server_start(&s, GARBAGE);
	CHECK_INT(query(&s, 5000, id, &err), -1);
	server_stop(&s);
	CHECK_STR(err.code, "BadReply");
	CHECK(strstr(err.msg, "not a CEDAR frame (first byte 0x48") != NULL);
}

static void t_query_half(void)
{
	struct server s;
	struct annex_err err;
	char id[17];

	server_start(&s, HALF);
	CHECK_INT(query(&s, 5000, id, &err), -1);
	server_stop(&s);
	CHECK_STR(err.code, "Closed");
	CHECK(strstr(err.msg, "in the middle of the answer") != NULL);
}

static void t_query_refused(void)
{
	struct server s;
	struct annex_err err;
	char id[17];
	int port;

	server_start(&s, CLOSE);     /* a free port: bound, then closed */
	port = s.port;
	pthread_cancel(s.th);
	pthread_join(s.th, NULL);
	close(s.fd);
	annex_err_clear(&err);
	CHECK_INT(cedar_query_instance("127.0.0.1", port, 2000, id, &err), -1);
	CHECK_STR(err.code, "Connect");
	CHECK(strstr(err.msg, "refused") != NULL);
}

TESTS(T(t_request_frame), T(t_parse_good), T(t_parse_split_frames), T(t_parse_incomplete),
      T(t_parse_malformed), T(t_parse_too_long), T(t_query_answers), T(t_query_closed), T(t_query_silent),
      T(t_query_garbage), T(t_query_half), T(t_query_refused))
