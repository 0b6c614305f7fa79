class CreateEnumMoodAndAddSadToMood < ActiveRecord::Migration[7.1]
  disable_ddl_transaction!

  def up
    # Active Record before 7.0 has no enum types
    execute "CREATE TYPE mood AS ENUM ('happy')"

    # the new value cannot be used in the transaction that adds it
    execute "ALTER TYPE mood ADD VALUE 'sad'"
  end

  def down
    raise ActiveRecord::IrreversibleMigration, "+ add value 'sad' to enum mood: PostgreSQL cannot remove the value 'sad' from mood; recreating the type is a separate, locking migration"
  end
end
