class BackfillAuthorsBio < ActiveRecord::Migration[7.1]
  def up
    # data change: plain SQL, so the migration does not depend on the app's models
    execute "UPDATE authors SET bio = 'n/a' WHERE bio is null"
  end

  def down
    # Not brought back by this down: the values of authors.bio before the backfill.
    # Nothing to do: backfill of authors.bio is not undone
  end
end
