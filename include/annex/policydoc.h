/* policydoc.h - IAM policy documents compared by meaning, not by bytes
 * (pure; no AWS). IAM hands documents back URL-encoded (GetRole's
 * AssumeRolePolicyDocument, GetRolePolicy's PolicyDocument) and keeps
 * whatever spacing and key order they were sent with, and a one-element
 * list means the same as its element ("Action": "x" = ["x"]); so both sides
 * are parsed and brought to one canonical form before comparing. */
#ifndef ANNEX_POLICYDOC_H
#define ANNEX_POLICYDOC_H

/* The document as IAM returns it, decoded: text that does not start with
 * '{' (after spaces) is percent-decoded ('+' stays '+', as IAM encodes a
 * space as %20). malloc'd. */
char *policydoc_decode(const char *text);

/* The canonical form (malloc'd), or NULL when text is not a JSON object:
 * object keys sorted, every list's elements canonical, sorted and without
 * duplicates, a one-element list replaced by its element, numbers and
 * booleans written as strings (IAM compares condition values as strings). */
char *policydoc_canonical(const char *text);

/* 1 when the two documents mean the same (canonical forms equal), 0 when
 * not (or either is not a JSON object). */
int policydoc_same(const char *a, const char *b);

/* What differs, in a few words for one line (malloc'd): the statements
 * by Sid (or position) that are changed, missing from deployed or extra in
 * it, and other top-level keys that differ; "" when the same; "not a JSON
 * policy document" when deployed cannot be read. */
char *policydoc_diff(const char *deployed, const char *wanted);

#endif
