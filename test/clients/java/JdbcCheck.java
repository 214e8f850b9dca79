import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Drives the ClickHouse service with ClickHouse's JDBC driver (the one DBeaver uses), doing what
 * DBeaver does: connect, read the catalogue through DatabaseMetaData, query, insert with a
 * PreparedStatement batch. Prints what came back as JSON for the test to check.
 * Arguments: the table to create, then the driver's compression settings as URL parameters
 * (compress=1, its default; compress=0; compress=1&decompress=1 for compressed requests too).
 */
public final class JdbcCheck {
    public static void main(String[] args) throws Exception {
        String table = args[0];
        String url = "jdbc:clickhouse:" + System.getenv("CLICKHOUSE_URL") + "/default?" + args[1];
        Map<String, Object> out = new LinkedHashMap<>();

        try (Connection connection = DriverManager.getConnection(url, credentials(System.getenv("CLICKHOUSE_PASSWORD")))) {
            DatabaseMetaData meta = connection.getMetaData();
            out.put("product", meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());
            out.put("driver", meta.getDriverName() + " " + meta.getDriverVersion());
            out.put("valid", connection.isValid(5));

            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE " + table + " (id UInt64, store LowCardinality(String), amount Decimal(12, 2), "
                        + "purchased_at DateTime64(3, 'Europe/Moscow'), email Nullable(String), items Array(String)) ENGINE = MergeTree ORDER BY id");
            }
            try {
                // What DBeaver's navigator reads: the schemas, the tables of one, the columns of a table.
                List<String> schemas = new ArrayList<>();
                try (ResultSet rows = meta.getSchemas()) {
                    while (rows.next()) schemas.add(rows.getString("TABLE_SCHEM"));
                }
                out.put("schemaDefault", schemas.contains("default"));
                List<String> tables = new ArrayList<>();
                try (ResultSet rows = meta.getTables(null, "default", table, null)) {
                    while (rows.next()) tables.add(rows.getString("TABLE_SCHEM") + "." + rows.getString("TABLE_NAME") + " " + rows.getString("TABLE_TYPE"));
                }
                out.put("tables", tables);
                List<String> columns = new ArrayList<>();
                try (ResultSet rows = meta.getColumns(null, "default", table, null)) {
                    while (rows.next()) {
                        columns.add(rows.getString("COLUMN_NAME") + " " + rows.getString("TYPE_NAME") + " " + rows.getInt("DATA_TYPE") + " " + rows.getString("IS_NULLABLE"));
                    }
                }
                out.put("columns", columns);

                ZoneId moscow = ZoneId.of("Europe/Moscow");
                ZonedDateTime base = ZonedDateTime.of(2026, 11, 1, 10, 0, 0, 0, moscow);
                try (PreparedStatement insert = connection.prepareStatement(
                        "INSERT INTO " + table + " (id, store, amount, purchased_at, email, items) VALUES (?, ?, ?, ?, ?, ?)")) {
                    for (int i = 0; i < 1000; i++) {
                        insert.setLong(1, i);
                        insert.setString(2, i % 2 == 0 ? "Большая Пикча" : "Маленькая Пикча");
                        insert.setBigDecimal(3, new BigDecimal(String.format("%d.%02d", i, i % 100)));
                        insert.setObject(4, base.plusNanos(i * 1_000_000L).toOffsetDateTime());
                        insert.setString(5, i % 3 == 0 ? "buyer" + i + "@example.com" : null);
                        insert.setArray(6, connection.createArrayOf("String", new String[] {"хлеб", String.valueOf(i)}));
                        insert.addBatch();
                    }
                    out.put("batch", Arrays.stream(insert.executeBatch()).sum());
                }

                try (Statement statement = connection.createStatement();
                     ResultSet rows = statement.executeQuery("SELECT count(), countIf(email IS NOT NULL), toString(sum(amount)), toString(max(purchased_at)) FROM " + table)) {
                    rows.next();
                    out.put("inserted", List.of(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4)));
                }

                try (PreparedStatement query = connection.prepareStatement(
                        "SELECT id, store, amount, purchased_at, email, items FROM " + table + " WHERE id IN (?, ?) ORDER BY id")) {
                    query.setLong(1, 3);
                    query.setLong(2, 4);
                    List<List<String>> read = new ArrayList<>();
                    try (ResultSet rows = query.executeQuery()) {
                        while (rows.next()) {
                            Array items = rows.getArray("items");
                            String email = rows.getString("email");
                            read.add(List.of(rows.getString("id"), rows.getString("store"), rows.getBigDecimal("amount").toPlainString(),
                                    rows.getObject("purchased_at", OffsetDateTime.class).toString(), email == null ? "NULL" : email,
                                    Arrays.toString((Object[]) items.getArray())));
                        }
                    }
                    out.put("read", read);
                }
            } finally {
                try (Statement statement = connection.createStatement()) {
                    statement.execute("DROP TABLE IF EXISTS " + table);
                }
            }

            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT toUInt64(18446744073709551615) AS u, toDecimal64('1234.56', 2) AS d, "
                         + "toDateTime64('2026-11-01 10:15:30.123', 3, 'Europe/Moscow') AS t, CAST(NULL AS Nullable(String)) AS n, "
                         + "toLowCardinality('Казань') AS lc")) {
                rows.next();
                String missing = rows.getString("n");
                boolean missingIsNull = missing == null && rows.wasNull();
                out.put("types", List.of(rows.getObject("u").toString(), rows.getBigDecimal("d").toPlainString(),
                        rows.getObject("t", ZonedDateTime.class).toOffsetDateTime().toString(), String.valueOf(missingIsNull),
                        rows.getString("lc")));
            }

            // Several MiB: with compress=1 the result comes in several frames, each checked by the driver.
            try (Statement statement = connection.createStatement();
                 ResultSet rows = statement.executeQuery("SELECT number, toString(number) FROM numbers(300000)")) {
                long count = 0;
                long sum = 0;
                long digits = 0;
                while (rows.next()) {
                    count++;
                    sum += rows.getLong(1);
                    digits += rows.getString(2).length();
                }
                out.put("large", List.of(String.valueOf(count), String.valueOf(sum), String.valueOf(digits)));
            }

            try (Statement statement = connection.createStatement()) {
                statement.executeQuery("SELECT * FROM " + table + "_missing");
                out.put("missingTable", "no error");
            } catch (SQLException error) {
                out.put("missingTable", error.getErrorCode() + " " + error.getMessage());
            }
        }

        try (Connection wrong = DriverManager.getConnection(url, credentials("not-the-password"))) {
            wrong.createStatement().executeQuery("SELECT 1");
            out.put("wrongPassword", "no error");
        } catch (SQLException error) {
            out.put("wrongPassword", error.getErrorCode() + " " + error.getMessage());
        }
        System.out.println(json(out));
    }

    private static Properties credentials(String password) {
        Properties properties = new Properties();
        properties.setProperty("user", System.getenv("CLICKHOUSE_USER"));
        properties.setProperty("password", password);
        return properties;
    }

    private static String json(Object value) {
        if (value instanceof Map<?, ?> map) {
            List<String> fields = new ArrayList<>();
            map.forEach((key, item) -> fields.add(json(key) + ":" + json(item)));
            return "{" + String.join(",", fields) + "}";
        }
        if (value instanceof List<?> list) {
            List<String> items = new ArrayList<>();
            list.forEach((item) -> items.add(json(item)));
            return "[" + String.join(",", items) + "]";
        }
        if (value instanceof Number || value instanceof Boolean) return value.toString();
        StringBuilder text = new StringBuilder("\"");
        for (char c : String.valueOf(value).toCharArray()) {
            if (c == '"' || c == '\\') text.append('\\').append(c);
            else if (c < 0x20) text.append(String.format("\\u%04x", (int) c));
            else text.append(c);
        }
        return text.append('"').toString();
    }
}
