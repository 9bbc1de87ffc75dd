/* SPDX-License-Identifier: MIT
 * jsonata_parse.c: the JSONata parser: a Pratt (top-down operator precedence) parser with the
 * reference implementation's binding powers, that builds the evaluator's AST directly in the
 * shape jsonata-js's processAST gives it: '.' chains become one path of steps, predicates on a
 * step become its stages, '@'/'#' binds mark tuple steps, '{' after an expression is a
 * group-by, '^(...)' an order-by step. Errors carry the reference's S02xx codes. Nesting is
 * bounded (NCM_JSONATA_MAX_DEPTH). The parent operator '%' is refused. Pure. Any thread.
 */
#include "jsonata_lex.h"

#include <string.h>

struct jparser {
	struct jctx *cx;
	struct jlex lx;
	struct jtok cur;
	int depth;
	int end_seen;   /* an operand was missing at the end (reported once parsing is done) */
	size_t end_pos;
};

static struct jnode *expression(struct jparser *p, int rbp);

static int is_op(const struct jtok *t, const char *op)
{
	return t->type == TK_OP && !strcmp(t->op, op);
}

static int lbp(const struct jtok *t)
{
	static const struct {
		const char *op;
		int bp;
	} tab[] = {
		{ ".", 75 }, { "[", 80 }, { "{", 70 }, { "(", 80 }, { "@", 80 }, { "#", 80 },
		{ "?", 20 }, { "+", 50 }, { "-", 50 }, { "*", 60 }, { "/", 60 }, { "%", 60 },
		{ "=", 40 }, { "<", 40 }, { ">", 40 }, { "^", 40 }, { ":=", 10 }, { "!=", 40 },
		{ "<=", 40 }, { ">=", 40 }, { "~>", 40 }, { "and", 30 }, { "or", 25 },
		{ "in", 40 }, { "&", 50 },
	};
	size_t i;

	if (t->type != TK_OP)
		return 0;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].op, t->op))
			return tab[i].bp;
	return 0;
}

static const char *tok_text(const struct jtok *t)
{
	switch (t->type) {
	case TK_END: return "(end)";
	case TK_OP: return t->op;
	case TK_NUM: return "number";
	case TK_STR: return "string";
	case TK_REGEX: return "regex";
	case TK_VALUE: return t->vkind == 2 ? "null" : t->vkind ? "true" : "false";
	default: return t->s;
	}
}

static struct jnode *node(struct jparser *p, enum jnode_type type, size_t pos)
{
	struct jnode *n = ncm_jx_alloc(p->cx, sizeof(*n));

	n->type = type;
	n->pos = pos;
	return n;
}

static void push_node(struct jparser *p, struct jnode ***arr, int *n, struct jnode *x)
{
	struct jnode **a = ncm_jx_alloc(p->cx, (size_t)(*n + 1) * sizeof(*a));

	if (*n)
		memcpy(a, *arr, (size_t)*n * sizeof(*a));
	a[(*n)++] = x;
	*arr = a;
}

static void push_stage(struct jparser *p, struct jnode *step, int is_index, struct jnode *e,
		       const char *var)
{
	struct jstage *a = ncm_jx_alloc(p->cx, (size_t)(step->nstages + 1) * sizeof(*a));

	if (step->nstages)
		memcpy(a, step->stages, (size_t)step->nstages * sizeof(*a));
	a[step->nstages].is_index = is_index;
	a[step->nstages].expr = e;
	a[step->nstages].var = var;
	step->stages = a;
	step->nstages++;
}

/* Reads the next token; when id is given the current one must be it (S0202/S0203). */
static void advance(struct jparser *p, const char *id, int infix)
{
	if (id && !is_op(&p->cur, id)) {
		if (p->cur.type == TK_END)
			ncm_jx_fail(p->cx, 1, "S0203", p->cur.pos,
				    "Expected \"%s\" before end of expression", id);
		ncm_jx_fail(p->cx, 1, "S0202", p->cur.pos, "Expected \"%s\", got \"%s\"", id,
			    tok_text(&p->cur));
	}
	ncm_jx_lex(&p->lx, &p->cur, infix);
	if (p->cur.type == TK_OP) {
		static const char *const known[] = { ".", "[", "]", "{", "}", "(", ")", ",", "@",
			"#", ";", ":", "?", "+", "-", "*", "/", "%", "|", "=", "<", ">", "^", "**",
			"..", ":=", "!=", "<=", ">=", "~>", "and", "or", "in", "&" };
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(known[i], p->cur.op))
				return;
		ncm_jx_fail(p->cx, 1, "S0204", p->cur.pos, "Unknown operator: \"%s\"", p->cur.op);
	}
}

static struct jnode *as_path(struct jparser *p, struct jnode *n)
{
	struct jnode *path;

	if (n->type == N_PATH)
		return n;
	path = node(p, N_PATH, n->pos);
	push_node(p, &path->items, &path->nitems, n);
	return path;
}

static struct jnode *name_path(struct jparser *p, const char *name, size_t len, size_t pos)
{
	struct jnode *step = node(p, N_NAME, pos);

	step->name = ncm_jx_strndup(p->cx, name, len);
	step->lit = ncm_jx_str(p->cx, name, len);
	return as_path(p, step);
}

/* processAST's '.': lhs . rhs as one path. */
static struct jnode *make_path(struct jparser *p, struct jnode *lhs, struct jnode *rhs)
{
	struct jnode *path = lhs->type == N_PATH ? lhs : as_path(p, lhs);
	struct jnode *first, *last;
	int i;

	if (rhs->type == N_PATH) {
		for (i = 0; i < rhs->nitems; i++)
			push_node(p, &path->items, &path->nitems, rhs->items[i]);
	} else {
		if (rhs->npreds) {
			for (i = 0; i < rhs->npreds; i++)
				push_stage(p, rhs, 0, rhs->preds[i], NULL);
			rhs->preds = NULL;
			rhs->npreds = 0;
		}
		push_node(p, &path->items, &path->nitems, rhs);
	}
	for (i = 0; i < path->nitems; i++) {
		struct jnode *s = path->items[i];

		if (s->type == N_NUMBER || s->type == N_VALUE)
			ncm_jx_fail(p->cx, 1, "S0213", s->pos,
				    "The literal value %s cannot be used as a step within a path "
				    "expression", s->type == N_NUMBER ? "number" : "true/false/null");
		if (s->type == N_STRING) {
			s->type = N_NAME;
			s->name = s->lit->s;
		}
		if (s->keep_array)
			path->keep_singleton = 1;
	}
	first = path->items[0];
	last = path->items[path->nitems - 1];
	if (first->type == N_ARRAY)
		first->consarray = 1;
	if (last->type == N_ARRAY)
		last->consarray = 1;
	return path;
}

static void parse_sig(struct jparser *p, struct jnode *lambda)
{
	/* the signature's tokens are glued back together, as the reference does */
	char buf[256];
	size_t n = 0, pos = p->cur.pos;
	int depth = 1;

	buf[n++] = '<';
	while (depth > 0 && !is_op(&p->cur, "{") && p->cur.type != TK_END) {
		const char *txt;
		size_t l;

		advance(p, NULL, 0);
		if (is_op(&p->cur, ">"))
			depth--;
		else if (is_op(&p->cur, "<"))
			depth++;
		txt = p->cur.type == TK_OP ? p->cur.op : p->cur.type == TK_NAME ? p->cur.s : "";
		l = strlen(txt);
		if (n + l >= sizeof(buf))
			ncm_jx_fail(p->cx, 1, "S0401", pos, "function signature too long");
		memcpy(buf + n, txt, l);
		n += l;
	}
	advance(p, ">", 0);
	lambda->sig = ncm_jx_parse_sig(p->cx, buf, n, pos);
}

static struct jnode *nud(struct jparser *p, struct jtok *t)
{
	struct jnode *n, *e;

	switch (t->type) {
	case TK_END:
		/* the reference reports an expected closing token first, if there is one */
		if (!p->end_seen) {
			p->end_seen = 1;
			p->end_pos = t->pos;
		}
		return node(p, N_PLACEHOLDER, t->pos);
	case TK_NAME:
		return name_path(p, t->s, t->slen, t->pos);
	case TK_VAR:
		n = node(p, N_VARIABLE, t->pos);
		n->name = t->s;
		return n;
	case TK_STR:
		n = node(p, N_STRING, t->pos);
		n->lit = ncm_jx_str(p->cx, t->s, t->slen);
		return n;
	case TK_NUM:
		n = node(p, N_NUMBER, t->pos);
		n->lit = ncm_jx_num(p->cx, t->num);
		return n;
	case TK_VALUE:
		n = node(p, N_VALUE, t->pos);
		n->lit = t->vkind == 2 ? ncm_jx_null(p->cx) : ncm_jx_bool(p->cx, t->vkind);
		return n;
	case TK_REGEX:
		n = node(p, N_REGEX, t->pos);
		n->re = ncm_jx_regex_compile(p->cx, t->s, t->slen, t->flags, t->pos);
		n->lit = ncm_jx_str(p->cx, t->s, t->slen);
		return n;
	case TK_OP:
		break;
	}
	if (!strcmp(t->op, "and") || !strcmp(t->op, "or") || !strcmp(t->op, "in"))
		return name_path(p, t->op, strlen(t->op), t->pos);
	if (!strcmp(t->op, "-")) {
		e = expression(p, 70);
		if (e->type == N_NUMBER) {
			e->lit = ncm_jx_num(p->cx, -e->lit->n);
			return e;
		}
		n = node(p, N_NEG, t->pos);
		n->lhs = e;
		return n;
	}
	if (!strcmp(t->op, "*"))
		return node(p, N_WILDCARD, t->pos);
	if (!strcmp(t->op, "**"))
		return node(p, N_DESCENDANT, t->pos);
	if (!strcmp(t->op, "%"))
		ncm_jx_fail(p->cx, 2, NULL, t->pos,
			    "the parent operator (%%) is not supported by this implementation");
	if (!strcmp(t->op, "(")) {
		n = node(p, N_BLOCK, t->pos);
		while (!is_op(&p->cur, ")")) {
			e = expression(p, 0);
			if (e->consarray || (e->type == N_PATH && e->items[0]->consarray))
				n->consarray = 1;
			push_node(p, &n->items, &n->nitems, e);
			if (!is_op(&p->cur, ";"))
				break;
			advance(p, ";", 0);
		}
		advance(p, ")", 1);
		return n;
	}
	if (!strcmp(t->op, "[")) {
		n = node(p, N_ARRAY, t->pos);
		if (!is_op(&p->cur, "]")) {
			for (;;) {
				e = expression(p, 0);
				if (is_op(&p->cur, "..")) {
					struct jnode *r = node(p, N_BINARY, p->cur.pos);

					r->op = OP_RANGE;
					r->lhs = e;
					advance(p, "..", 0);
					r->rhs = expression(p, 0);
					e = r;
				}
				push_node(p, &n->items, &n->nitems, e);
				if (!is_op(&p->cur, ","))
					break;
				advance(p, ",", 0);
			}
		}
		advance(p, "]", 1);
		return n;
	}
	if (!strcmp(t->op, "{")) {
		n = node(p, N_OBJECT, t->pos);
		if (!is_op(&p->cur, "}")) {
			for (;;) {
				struct jpair *a = ncm_jx_alloc(p->cx, (size_t)(n->npairs + 1) * sizeof(*a));

				if (n->npairs)
					memcpy(a, n->pairs, (size_t)n->npairs * sizeof(*a));
				a[n->npairs].k = expression(p, 0);
				advance(p, ":", 0);
				a[n->npairs].v = expression(p, 0);
				n->pairs = a;
				n->npairs++;
				if (!is_op(&p->cur, ","))
					break;
				advance(p, ",", 0);
			}
		}
		advance(p, "}", 1);
		return n;
	}
	if (!strcmp(t->op, "|")) {
		n = node(p, N_TRANSFORM, t->pos);
		n->lhs = expression(p, 0);
		advance(p, "|", 0);
		n->rhs = expression(p, 0);
		if (is_op(&p->cur, ",")) {
			advance(p, ",", 0);
			n->els = expression(p, 0);
		}
		advance(p, "|", 0);
		return n;
	}
	ncm_jx_fail(p->cx, 1, "S0211", t->pos,
		    "The symbol \"%s\" cannot be used as a unary operator", t->op);
}

static enum jop binop(const char *op)
{
	static const struct {
		const char *op;
		enum jop code;
	} tab[] = {
		{ "+", OP_ADD }, { "-", OP_SUB }, { "*", OP_MUL }, { "/", OP_DIV }, { "%", OP_MOD },
		{ "=", OP_EQ }, { "!=", OP_NE }, { "<", OP_LT }, { "<=", OP_LE }, { ">", OP_GT },
		{ ">=", OP_GE }, { "&", OP_CONCAT }, { "and", OP_AND }, { "or", OP_OR },
		{ "in", OP_IN },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(tab[i].op, op))
			return tab[i].code;
	return OP_ADD;
}

/* The step a postfix operator applies to: the last step of a path, else the node. */
static struct jnode *last_step(struct jnode *n)
{
	return n->type == N_PATH ? n->items[n->nitems - 1] : n;
}

static struct jnode *led(struct jparser *p, struct jtok *t, struct jnode *left)
{
	struct jnode *n, *r, *step;
	int bp = lbp(t);

	if (!strcmp(t->op, ".")) {
		r = expression(p, bp);
		return make_path(p, left, r);
	}
	if (!strcmp(t->op, "(")) {
		int is_lambda = left->type == N_PATH && left->nitems == 1 &&
				left->items[0]->type == N_NAME &&
				(!strcmp(left->items[0]->name, "function") ||
				 !strcmp(left->items[0]->name, "\xce\xbb"));

		n = node(p, N_FUNCTION, t->pos);
		n->lhs = left;
		if (left->type == N_PATH && left->items[0]->type == N_NAME)
			n->name = left->items[0]->name;
		else if (left->type == N_VARIABLE)
			n->name = left->name;
		if (!is_op(&p->cur, ")")) {
			for (;;) {
				if (is_op(&p->cur, "?")) {
					n->type = N_PARTIAL;
					push_node(p, &n->items, &n->nitems, node(p, N_PLACEHOLDER, p->cur.pos));
					advance(p, "?", 0);
				} else {
					push_node(p, &n->items, &n->nitems, expression(p, 0));
				}
				if (!is_op(&p->cur, ","))
					break;
				advance(p, ",", 0);
			}
		}
		advance(p, ")", 1);
		if (is_lambda) {
			int i;

			for (i = 0; i < n->nitems; i++)
				if (n->items[i]->type != N_VARIABLE)
					ncm_jx_fail(p->cx, 1, "S0208", n->items[i]->pos,
						    "Parameter %d of function definition must be a variable "
						    "name (start with $)", i + 1);
			n->type = N_LAMBDA;
			n->lhs = NULL;
			if (is_op(&p->cur, "<"))
				parse_sig(p, n);
			advance(p, "{", 0);
			n->rhs = expression(p, 0);
			advance(p, "}", 0);
		}
		return n;
	}
	if (!strcmp(t->op, "[")) {
		if (is_op(&p->cur, "]")) {
			step = last_step(left);
			step->keep_array = 1;
			if (left->type == N_PATH)
				left->keep_singleton = 1;
			advance(p, "]", 0);
			return left;
		}
		r = expression(p, 0);
		advance(p, "]", 1);
		step = last_step(left);
		if (step->group)
			ncm_jx_fail(p->cx, 1, "S0209", t->pos,
				    "A predicate cannot follow a grouping expression in a step");
		if (left->type == N_PATH)
			push_stage(p, step, 0, r, NULL);
		else
			push_node(p, &step->preds, &step->npreds, r);
		return left;
	}
	if (!strcmp(t->op, "{")) {
		struct jtok open = *t;

		r = nud(p, &open); /* the object constructor, parsed as its prefix form */
		if (left->group)
			ncm_jx_fail(p->cx, 1, "S0210", t->pos,
				    "Each step can only have one grouping expression");
		left->group = r;
		return left;
	}
	if (!strcmp(t->op, "^")) {
		n = node(p, N_SORT, t->pos);
		advance(p, "(", 0);
		for (;;) {
			int desc = 0;

			if (is_op(&p->cur, "<")) {
				advance(p, "<", 0);
			} else if (is_op(&p->cur, ">")) {
				desc = 1;
				advance(p, ">", 0);
			}
			r = expression(p, 0);
			step = node(p, N_BLOCK, r->pos); /* a term: its expression and direction */
			step->lhs = r;
			step->descending = (unsigned char)desc;
			push_node(p, &n->items, &n->nitems, step);
			if (!is_op(&p->cur, ","))
				break;
			advance(p, ",", 0);
		}
		advance(p, ")", 0);
		left = as_path(p, left);
		push_node(p, &left->items, &left->nitems, n);
		return left;
	}
	if (!strcmp(t->op, ":=")) {
		if (left->type != N_VARIABLE)
			ncm_jx_fail(p->cx, 1, "S0212", left->pos,
				    "The left side of := must be a variable name (start with $)");
		n = node(p, N_BIND, t->pos);
		n->lhs = left;
		n->rhs = expression(p, bp - 1);
		return n;
	}
	if (!strcmp(t->op, "@") || !strcmp(t->op, "#")) {
		r = expression(p, bp);
		if (r->type != N_VARIABLE)
			ncm_jx_fail(p->cx, 1, "S0214", r->pos,
				    "The right side of %s must be a variable name (start with $)", t->op);
		if (t->op[0] == '@') {
			step = last_step(left);
			if (step->nstages || step->npreds)
				ncm_jx_fail(p->cx, 1, "S0215", t->pos,
					    "A context variable binding must precede any predicates on "
					    "a step");
			if (step->type == N_SORT)
				ncm_jx_fail(p->cx, 1, "S0216", t->pos,
					    "A context variable binding must precede the 'order-by' "
					    "clause on a step");
			step->focus = r->name;
			step->tuple = 1;
			return left;
		}
		if (left->type == N_PATH) {
			step = last_step(left);
		} else {
			step = left;
			left = as_path(p, left);
			if (step->npreds) {
				int i;

				for (i = 0; i < step->npreds; i++)
					push_stage(p, step, 0, step->preds[i], NULL);
				step->preds = NULL;
				step->npreds = 0;
			}
		}
		if (!step->nstages)
			step->index = r->name;
		else
			push_stage(p, step, 1, NULL, r->name);
		step->tuple = 1;
		return left;
	}
	if (!strcmp(t->op, "?")) {
		n = node(p, N_CONDITION, t->pos);
		n->cond = left;
		n->then = expression(p, 0);
		if (is_op(&p->cur, ":")) {
			advance(p, ":", 0);
			n->els = expression(p, 0);
		}
		return n;
	}
	if (!strcmp(t->op, "~>")) {
		n = node(p, N_APPLY, t->pos);
		n->lhs = left;
		n->rhs = expression(p, bp);
		n->keep_array = left->keep_array || n->rhs->keep_array;
		return n;
	}
	n = node(p, N_BINARY, t->pos);
	n->op = binop(t->op);
	n->lhs = left;
	n->rhs = expression(p, bp);
	return n;
}

static struct jnode *expression(struct jparser *p, int rbp)
{
	struct jnode *left;
	struct jtok t = p->cur;

	if (++p->depth > NCM_JSONATA_MAX_DEPTH)
		ncm_jx_fail(p->cx, 3, NULL, t.pos, "expression nested deeper than %d levels",
			    NCM_JSONATA_MAX_DEPTH);
	advance(p, NULL, 1);
	left = nud(p, &t);
	while (rbp < lbp(&p->cur)) {
		t = p->cur;
		advance(p, NULL, 0);
		left = led(p, &t, left);
	}
	p->depth--;
	return left;
}

struct jnode *ncm_jx_parse(struct jctx *cx, const char *s, size_t len)
{
	struct jparser p;
	struct jnode *root;

	memset(&p, 0, sizeof(p));
	p.cx = cx;
	p.lx.cx = cx;
	p.lx.s = s;
	p.lx.len = len;
	advance(&p, NULL, 0);
	root = expression(&p, 0);
	if (p.end_seen)
		ncm_jx_fail(cx, 1, "S0207", p.end_pos, "Unexpected end of expression");
	if (p.cur.type != TK_END)
		ncm_jx_fail(cx, 1, "S0201", p.cur.pos, "Syntax error: \"%s\"", tok_text(&p.cur));
	return root;
}

/* A function signature such as <s-nn?:s> (jsonata-js parseSignature): one parameter per type
 * letter with its modifiers; the return type is not checked. */
struct jsig *ncm_jx_parse_sig(struct jctx *cx, const char *s, size_t len, size_t pos)
{
	struct jsig *sig = ncm_jx_alloc(cx, sizeof(*sig));
	struct jsig_param *prev = NULL, *cur;
	size_t i;

	for (i = 1; i < len; i++) {
		char c = s[i];

		if (c == ':' || c == '>')
			break;
		if (strchr("snblo", c) || c == 'a' || c == 'f' || c == 'j' || c == 'x' || c == '(') {
			if (sig->n >= JSIG_MAX)
				ncm_jx_fail(cx, 1, "S0401", pos, "function signature has too many parameters");
			cur = &sig->p[sig->n++];
			cur->type = c;
			switch (c) {
			case 'a': case 'x': strcpy(cur->cls, "asnblfom"); break;
			case 'f': strcpy(cur->cls, "f"); break;
			case 'j': strcpy(cur->cls, "asnblom"); break;
			case '(': {
				size_t e = i + 1, k = 0;

				while (e < len && s[e] != ')') {
					if (s[e] == '<')
						ncm_jx_fail(cx, 1, "S0402", pos + i,
							    "Choice groups containing parameterized types are "
							    "not supported");
					if (k < sizeof(cur->cls) - 2)
						cur->cls[k++] = s[e];
					e++;
				}
				cur->cls[k++] = 'm';
				cur->cls[k] = '\0';
				i = e;
				break;
			}
			default:
				cur->cls[0] = c;
				cur->cls[1] = 'm';
			}
			prev = cur;
		} else if (c == '-' && prev) {
			prev->context = 1;
			prev->quant = '?';
		} else if ((c == '?' || c == '+') && prev) {
			prev->quant = c;
		} else if (c == '<') {
			size_t e = i + 1;
			int d = 1;

			if (!prev || (prev->type != 'a' && prev->type != 'f'))
				ncm_jx_fail(cx, 1, "S0401", pos + i,
					    "Type parameters can only be applied to functions and arrays");
			if (prev->type == 'a')
				prev->sub = s[e];
			while (e < len && d > 0) {
				if (s[e] == '<')
					d++;
				else if (s[e] == '>')
					d--;
				if (d > 0)
					e++;
			}
			i = e;
		}
	}
	return sig;
}
