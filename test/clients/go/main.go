// Drives the ClickHouse service with clickhouse-go over HTTP, configured the way Grafana's
// ClickHouse plugin configures it, and prints what came back as JSON for the test to check.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

// encodings counts the Content-Encoding of every request and response, and how many asked for
// ClickHouse's compressed frames (compress=1 for the response, decompress=1 for the body).
type encodings struct {
	mu        sync.Mutex
	requests  map[string]int
	responses map[string]int
	framed    map[string]int
}

// recording is one connection's transport, counting into the shared encodings.
type recording struct {
	counts *encodings
	next   http.RoundTripper
}

func (r recording) RoundTrip(request *http.Request) (*http.Response, error) {
	response, err := r.next.RoundTrip(request)
	e := r.counts
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests[request.Header.Get("Content-Encoding")]++
	if response != nil {
		e.responses[response.Header.Get("Content-Encoding")]++
	}
	for _, name := range []string{"compress", "decompress"} {
		if request.URL.Query().Get(name) == "1" {
			e.framed[name]++
		}
	}
	return response, err
}

type outcome struct {
	Revision        uint64           `json:"revision"`
	Version         string           `json:"version"`
	Types           []string         `json:"types"`
	Values          []string         `json:"values"`
	Named           []string         `json:"named"`
	Positional      []string         `json:"positional"`
	Inserted        []string         `json:"inserted"`
	GrafanaColumns  []string         `json:"grafanaColumns"`
	GrafanaRows     [][]string       `json:"grafanaRows"`
	Empty           int              `json:"empty"`
	MissingTable    exceptionOutcome `json:"missingTable"`
	WrongPassword   exceptionOutcome `json:"wrongPassword"`
	SessionTimezone string           `json:"sessionTimezone"`
	UnknownDatabase exceptionOutcome `json:"unknownDatabase"`
	RequestEncoding map[string]int   `json:"requestEncoding"`
	ResponseEncode  map[string]int   `json:"responseEncoding"`
	Framed          map[string]int   `json:"framed"`
}

// exceptionOutcome is what a caller can learn from an error: the typed *clickhouse.Exception's code
// (drivers from 2.48 on raise one for an HTTP error; 2.47 only reports the status and the body) and its text.
type exceptionOutcome struct {
	Typed bool   `json:"typed"`
	Code  int32  `json:"code"`
	Text  string `json:"text"`
}

func exceptionOf(err error) exceptionOutcome {
	if err == nil {
		return exceptionOutcome{Text: "no error"}
	}
	var exception *clickhouse.Exception
	if errors.As(err, &exception) {
		return exceptionOutcome{Typed: true, Code: exception.Code, Text: err.Error()}
	}
	return exceptionOutcome{Text: err.Error()}
}

// options are those of the plugin's Connect (pkg/plugin/driver.go): HTTP, gzip, the database, custom
// settings; with "lz4", the driver's other compression over HTTP, ClickHouse's compressed frames both ways.
func options(address string, password string, compression string, recorder *encodings) *clickhouse.Options {
	method := clickhouse.CompressionGZIP
	settings := clickhouse.Settings{"enable_http_compression": 1}
	if compression == "lz4" {
		method = clickhouse.CompressionLZ4
		settings = clickhouse.Settings{}
	}
	return &clickhouse.Options{
		Addr:        []string{address},
		Auth:        clickhouse.Auth{Database: "default", Username: os.Getenv("CLICKHOUSE_USER"), Password: password},
		ClientInfo:  clickhouse.ClientInfo{Products: []struct{ Name, Version string }{{Name: "grafana-datasource", Version: "check"}}},
		Compression: &clickhouse.Compression{Method: method},
		DialTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second,
		Protocol:    clickhouse.HTTP,
		Settings:    settings,
		TransportFunc: func(transport *http.Transport) (http.RoundTripper, error) {
			return recording{counts: recorder, next: transport}, nil
		},
	}
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	endpoint, err := url.Parse(os.Getenv("CLICKHOUSE_URL"))
	if err != nil {
		return err
	}
	table, compression := os.Args[1], os.Args[2]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recorder := &encodings{requests: map[string]int{}, responses: map[string]int{}, framed: map[string]int{}}
	result := outcome{}

	// The Grafana plugin's path: database/sql through OpenDB, then PingContext.
	db := clickhouse.OpenDB(options(endpoint.Host, os.Getenv("CLICKHOUSE_PASSWORD"), compression, recorder))
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}

	// sqlds runs the panel's SQL with QueryContext and scans into the column types the driver reports.
	rows, err := db.QueryContext(ctx, `SELECT toStartOfHour(toDateTime('2026-11-01 10:15:30', 'UTC')) AS time, 'Большая Пикча' AS store, toDecimal64(1234.5, 2) AS revenue`)
	if err != nil {
		return fmt.Errorf("grafana query: %w", err)
	}
	if result.GrafanaColumns, result.GrafanaRows, err = scanAll(rows); err != nil {
		return fmt.Errorf("grafana rows: %w", err)
	}

	conn, err := clickhouse.Open(options(endpoint.Host, os.Getenv("CLICKHOUSE_PASSWORD"), compression, recorder))
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer conn.Close()
	server, err := conn.ServerVersion()
	if err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	result.Revision = server.Revision
	result.Version = fmt.Sprintf("%d.%d.%d", server.Version.Major, server.Version.Minor, server.Version.Patch)

	var (
		text     string
		unsigned uint64
		amount   decimal.Decimal
		moment   time.Time
		missing  *string
		numbers  []uint32
		city     string
	)
	row := conn.QueryRow(ctx, `SELECT 'Большая Пикча' AS s, toUInt64(18446744073709551615) AS u, toDecimal64('1234.56', 2) AS d,
		toDateTime64('2026-11-01 10:15:30.123', 3, 'Europe/Moscow') AS t, CAST(NULL AS Nullable(String)) AS n,
		CAST([1, 2, 3] AS Array(UInt32)) AS a, toLowCardinality('Казань') AS lc`)
	if err := row.Err(); err != nil {
		return fmt.Errorf("types: %w", err)
	}
	typed, err := conn.Query(ctx, `SELECT 'x' AS s, toUInt64(1) AS u, toDecimal64('1', 2) AS d, toDateTime64(0, 3, 'Europe/Moscow') AS t,
		CAST(NULL AS Nullable(String)) AS n, CAST([] AS Array(UInt32)) AS a, toLowCardinality('') AS lc`)
	if err != nil {
		return fmt.Errorf("column types: %w", err)
	}
	for _, column := range typed.ColumnTypes() {
		result.Types = append(result.Types, column.DatabaseTypeName())
	}
	typed.Close()
	if err := row.Scan(&text, &unsigned, &amount, &moment, &missing, &numbers, &city); err != nil {
		return fmt.Errorf("scan types: %w", err)
	}
	result.Values = []string{text, fmt.Sprint(unsigned), amount.String(), moment.Format("2006-01-02 15:04:05.000 -07:00"), fmt.Sprint(missing == nil), fmt.Sprint(numbers), city}

	// Bound parameters: named ones go to the server as param_<name>; positional ones are bound by the driver.
	var named string
	var next uint64
	if err := conn.QueryRow(ctx, "SELECT {store:String} AS s, {n:UInt64} + 1 AS n", clickhouse.Named("store", "O'Brien; DROP TABLE x --"), clickhouse.Named("n", "41")).Scan(&named, &next); err != nil {
		return fmt.Errorf("named parameters: %w", err)
	}
	result.Named = []string{named, fmt.Sprint(next)}
	var positional string
	var doubled int64
	if err := conn.QueryRow(ctx, "SELECT ? AS s, toInt64(?) * 2 AS n", "Маленькая Пикча", int64(21)).Scan(&positional, &doubled); err != nil {
		return fmt.Errorf("positional parameters: %w", err)
	}
	result.Positional = []string{positional, fmt.Sprint(doubled)}

	// A batch insert: DESCRIBE TABLE, then the rows as a Native body (gzip-encoded, as the plugin's settings would send them).
	if err := conn.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s (id UInt64, store LowCardinality(String), amount Decimal(12, 2),
		purchased_at DateTime64(3, 'Europe/Moscow'), email Nullable(String), items Array(String)) ENGINE = MergeTree ORDER BY id`, table)); err != nil {
		return fmt.Errorf("create: %w", err)
	}
	defer func() { _ = conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) }()
	batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+table)
	if err != nil {
		return fmt.Errorf("prepare batch: %w", err)
	}
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		return err
	}
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, moscow)
	stores := []string{"Большая Пикча", "Маленькая Пикча"}
	for i := 0; i < 1000; i++ {
		var email *string
		if i%3 == 0 {
			address := fmt.Sprintf("buyer%d@example.com", i)
			email = &address
		}
		amountText := fmt.Sprintf("%d.%02d", i, i%100)
		if err := batch.Append(uint64(i), stores[i%2], amountText, base.Add(time.Duration(i)*time.Millisecond), email, []string{"хлеб", fmt.Sprint(i)}); err != nil {
			return fmt.Errorf("append: %w", err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send batch: %w", err)
	}
	var count, withEmail uint64
	var total, last string
	if err := conn.QueryRow(ctx, fmt.Sprintf("SELECT count(), countIf(email IS NOT NULL), toString(sum(amount)), toString(max(purchased_at)) FROM %s", table)).Scan(&count, &withEmail, &total, &last); err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	result.Inserted = []string{fmt.Sprint(count), fmt.Sprint(withEmail), total, last}

	// A result with no rows comes back as an empty body.
	empty, err := conn.Query(ctx, fmt.Sprintf("SELECT id FROM %s WHERE id > 1000000", table))
	if err != nil {
		return fmt.Errorf("empty: %w", err)
	}
	for empty.Next() {
		result.Empty++
	}
	empty.Close()

	_, err = conn.Query(ctx, fmt.Sprintf("SELECT * FROM %s_missing", table))
	result.MissingTable = exceptionOf(err)

	// The handshake answers with the session's time zone, and fails for a database that does not exist, as a server's does.
	zoned := options(endpoint.Host, os.Getenv("CLICKHOUSE_PASSWORD"), compression, recorder)
	zoned.Settings["session_timezone"] = "Asia/Yekaterinburg"
	zonedConn, err := clickhouse.Open(zoned)
	if err != nil {
		return fmt.Errorf("open with session_timezone: %w", err)
	}
	defer zonedConn.Close()
	zonedServer, err := zonedConn.ServerVersion()
	if err != nil {
		return fmt.Errorf("server version with session_timezone: %w", err)
	}
	result.SessionTimezone = zonedServer.Timezone.String()
	elsewhere := options(endpoint.Host, os.Getenv("CLICKHOUSE_PASSWORD"), compression, recorder)
	elsewhere.Auth.Database = table + "_no_such_database"
	missingDatabase := clickhouse.OpenDB(elsewhere)
	defer missingDatabase.Close()
	result.UnknownDatabase = exceptionOf(missingDatabase.PingContext(ctx))

	wrong := clickhouse.OpenDB(options(endpoint.Host, "not-the-password", compression, recorder))
	defer wrong.Close()
	result.WrongPassword = exceptionOf(wrong.PingContext(ctx))

	result.RequestEncoding = recorder.requests
	result.ResponseEncode = recorder.responses
	result.Framed = recorder.framed
	return json.NewEncoder(os.Stdout).Encode(result)
}

// scanAll reads rows the way sqlds does: a value of each column's ScanType, then its text.
func scanAll(rows *sql.Rows) ([]string, [][]string, error) {
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	var columns []string
	for _, column := range types {
		columns = append(columns, fmt.Sprintf("%s %s %s", column.Name(), column.DatabaseTypeName(), column.ScanType()))
	}
	var table [][]string
	for rows.Next() {
		values := make([]any, len(types))
		for i, column := range types {
			values[i] = reflect.New(column.ScanType()).Interface()
		}
		if err := rows.Scan(values...); err != nil {
			return nil, nil, err
		}
		var line []string
		for _, value := range values {
			line = append(line, fmt.Sprint(reflect.ValueOf(value).Elem().Interface()))
		}
		table = append(table, line)
	}
	return columns, table, rows.Err()
}
