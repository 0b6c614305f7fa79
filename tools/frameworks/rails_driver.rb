# migwright's driver for Active Record migrations (see rails_runner.py).
#
# Reads one JSON request on stdin:
#   {"connection": {...establish_connection hash...}, "paths": ["/tmp/.../db/migrate"],
#    "command": "up" | "rollback" | "versions", "target": 20240101000000 | null, "steps": 1}
# and runs ActiveRecord::MigrationContext#up / #rollback on it, exactly as `bin/rails
# db:migrate` / `db:rollback` do, without loading the application. Prints the migration log on
# stdout; the last stdout line is a JSON object with the versions applied before and after. A
# failure exits 1 with Active Record's message on stderr.
require "json"
require "logger"
require "active_record"

request = JSON.parse($stdin.read)
ActiveRecord::Base.establish_connection(request.fetch("connection"))
ActiveRecord::Migration.verbose = true

context = ActiveRecord::MigrationContext.new(request.fetch("paths"), ActiveRecord::SchemaMigration)
before = context.get_all_versions

begin
  case request.fetch("command")
  when "up"
    context.up(request["target"])
  when "rollback"
    context.rollback(request.fetch("steps", 1))
  when "versions"
    nil
  else
    raise ArgumentError, "unknown command #{request["command"].inspect}"
  end
rescue StandardError => e
  warn "#{e.class}: #{e.message}"
  exit 1
end

puts JSON.generate({ "before" => before, "after" => context.get_all_versions })
