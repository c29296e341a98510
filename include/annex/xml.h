/* xml.h - small helpers over libxml2 for AWS's XML replies. Element names
 * are matched by local name (namespaces ignored), paths are "a/b/c" of
 * local names below a node. Parsing never touches the network, loads no
 * DTD and substitutes no entity; a reply with a document type declaration
 * (the carrier of "billion laughs" and external-entity attacks) is refused
 * outright, and libxml2's size and depth limits stay on (no
 * XML_PARSE_HUGE). Reply bodies are capped before they get here (http.h).
 *
 *   xmlNode *set = xml_find(xmlDocGetRootElement(doc), "reservationSet");
 *   for (xmlNode *it = xml_first(set, "item"); it; it = xml_next(it, "item")) {
 *       char *id = xml_text(it, "instancesSet/item/instanceId");
 *       ...
 *       free(id);
 *   }
 */
#ifndef ANNEX_XML_H
#define ANNEX_XML_H

#include <libxml/tree.h>
#include <stddef.h>

#include "annex/buf.h"
#include "annex/err.h"

/* Parses a reply; NULL with err ("BadReply") when it is not XML or carries
 * a DOCTYPE. */
xmlDoc *xml_parse(const char *data, size_t len, struct annex_err *err);

/* The element at path below from (path "" or NULL: from itself), or NULL. */
xmlNode *xml_find(xmlNode *from, const char *path);
/* The first element named name anywhere below from (depth first), or NULL. */
xmlNode *xml_find_deep(xmlNode *from, const char *name);
/* The text of the element at path (malloc'd; "" for an empty element), or NULL. */
char *xml_text(xmlNode *from, const char *path);
/* Same, into a caller buffer (truncated); returns 0, or -1 when absent. */
int xml_text_buf(xmlNode *from, const char *path, char *out, size_t n);

/* Child iteration by local name: the first child of parent named name
 * (NULL name: any element), then the following siblings of the same name. */
xmlNode *xml_first(xmlNode *parent, const char *name);
xmlNode *xml_next(xmlNode *node, const char *name);

/* Whether a node is an element with that local name. */
int xml_is(const xmlNode *node, const char *name);

/* Appends s with & < > " ' escaped. */
void xml_escape(struct buf *out, const char *s);

#endif
