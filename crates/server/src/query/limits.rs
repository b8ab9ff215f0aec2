//! What one query may consume, the flags that set it, and the bound on the size and nesting of its SQL.
//!
//! Deep SQL is refused before planning: DataFusion plans, optimizes and evaluates expressions by
//! recursion, so `1+1+…+1` with a thousand terms, or two thousand `UNION ALL`s, used to overflow a
//! thread's stack and abort the process. The parser itself is iterative for chains of operators, so the
//! parsed statement is measured (its expression depth and its number of `SELECT`s) before anything
//! recurses over it; the token bound keeps even that walk, and dropping the parsed tree, shallow.
use super::QueryError;
use crate::duration::parse_duration;
use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{Expr, Query, Select, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use std::ops::ControlFlow;
use std::time::Duration;

/// Most tokens (words, literals, operators) one SQL text may have.
pub const MAX_SQL_TOKENS: usize = 100_000;
/// Deepest nesting of expressions in a statement (`a OR b OR c` nests two deep).
pub const MAX_EXPR_DEPTH: usize = 256;
/// Most `SELECT`s in one statement (each `UNION ALL` branch, subquery and CTE is one).
pub const MAX_SELECTS: usize = 256;

/// The `serve` flags of the query engine.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// Bytes all running queries may hold together (sorts, joins, aggregations); past it a query fails with 400.
    #[arg(long, env = "LINEWISE_QUERY_MEMORY_LIMIT", default_value_t = 512 * 1024 * 1024)]
    pub query_memory_limit: usize,
    /// Longest a query may run, answer included; past it the query is stopped (408).
    #[arg(long, env = "LINEWISE_QUERY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub query_timeout: Duration,
    /// Queries running at once; one more waits up to 1 s for a slot, then gets 429.
    #[arg(long, env = "LINEWISE_MAX_CONCURRENT_QUERIES", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrent_queries: u32,
    /// Largest answer of one query, in bytes of the encoded result.
    #[arg(long, env = "LINEWISE_QUERY_MAX_RESPONSE_SIZE", default_value_t = 1024 * 1024 * 1024)]
    pub query_max_response_size: u64,
    /// Threads that run queries (apart from the threads that serve HTTP and writes).
    #[arg(long, env = "LINEWISE_QUERY_THREADS", default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..))]
    pub query_threads: u16,
}

impl Default for QueryArgs {
    fn default() -> Self {
        Self {
            query_memory_limit: 512 * 1024 * 1024,
            query_timeout: Duration::from_secs(30),
            max_concurrent_queries: 4,
            query_max_response_size: 1024 * 1024 * 1024,
            query_threads: 2,
        }
    }
}

/// Refuses SQL with more than [`MAX_SQL_TOKENS`] tokens, before it is parsed.
pub fn check_sql_size(sql: &str) -> Result<(), QueryError> {
    // A text that does not tokenize is left to the parser, which names the error.
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize() else {
        return Ok(());
    };
    let count = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .count();
    if count > MAX_SQL_TOKENS {
        return Err(QueryError::TooComplex(format!(
            "the SQL has {count} tokens, more than the limit of {MAX_SQL_TOKENS}"
        )));
    }
    Ok(())
}

/// Refuses a parsed statement nested deeper than [`MAX_EXPR_DEPTH`] or with more than [`MAX_SELECTS`]
/// `SELECT`s. The walk stops at the first limit it crosses, so it never recurses deeper than that.
pub fn check_statement(statement: &DFStatement) -> Result<(), QueryError> {
    let mut measure = Measure::default();
    let flow = match statement {
        DFStatement::Statement(s) => s.visit(&mut measure),
        DFStatement::Explain(explain) => return check_statement(&explain.statement),
        DFStatement::CopyTo(copy) => match &copy.source {
            CopyToSource::Query(query) => query.visit(&mut measure),
            CopyToSource::Relation(_) => ControlFlow::Continue(()),
        },
        DFStatement::CreateExternalTable(_) | DFStatement::Reset(_) => ControlFlow::Continue(()),
    };
    match flow {
        ControlFlow::Break(message) => Err(QueryError::TooComplex(message)),
        ControlFlow::Continue(()) => Ok(()),
    }
}

#[derive(Default)]
struct Measure {
    depth: usize,
    selects: usize,
}

impl Visitor for Measure {
    type Break = String;

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<String> {
        self.enter()
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<String> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
        // A subquery is planned by recursion too: it counts on the depth of the expression it is in.
        self.enter()
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, _: &Select) -> ControlFlow<String> {
        self.selects += 1;
        if self.selects > MAX_SELECTS {
            return ControlFlow::Break(format!(
                "the statement has more than {MAX_SELECTS} SELECTs (the limit; each UNION branch, subquery and CTE counts)"
            ));
        }
        ControlFlow::Continue(())
    }
}

impl Measure {
    fn enter(&mut self) -> ControlFlow<String> {
        self.depth += 1;
        if self.depth > MAX_EXPR_DEPTH {
            return ControlFlow::Break(format!(
                "expressions and subqueries are nested more than {MAX_EXPR_DEPTH} deep (the limit)"
            ));
        }
        ControlFlow::Continue(())
    }
}
