package studio

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"stratus/ledger"
)

// Earlier Stratus releases kept the catalog in one JSON file per node,
// dir/titles.json; it is imported into the database once and then kept
// under importedSuffix as a backup that nothing reads.
const (
	legacyFile     = "titles.json"
	legacyFormat   = 1
	importedSuffix = ".imported"
)

// fileData is the layout of the catalog file.
type fileData struct {
	Format   int     `json:"format"`
	Revision uint64  `json:"revision,omitempty"`
	Titles   []Title `json:"titles"`
}

// importFile moves the catalog file in dir, if there is one, into the
// database. A title whose id the database holds already stays as the
// database has it: another node imported or created it first, or this
// import ran before and stopped short of setting the file aside. The
// catalog's revision does not go back below the file's, so edges that
// followed this node take the imported catalog as newer. A damaged file
// stops the start rather than being skipped, so no titles are dropped
// without a word.
func (s *Store) importFile(ctx context.Context, dir string) error {
	path := filepath.Join(dir, legacyFile)
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("studio: %w", err)
	}
	var f fileData
	if err := json.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("studio: %s: %w", path, err)
	}
	if f.Format != legacyFormat {
		return fmt.Errorf("studio: %s: format %d, this Stratus reads %d", path, f.Format, legacyFormat)
	}
	var added, kept []string
	rev, _, err := s.db.ChangeCatalog(ctx, f.Revision, func(tx *ledger.CatalogTx) error {
		added, kept = nil, nil
		for _, t := range f.Titles {
			if _, ok, err := tx.Get(t.ID); err != nil {
				return err
			} else if ok {
				kept = append(kept, t.ID)
				continue
			}
			if err := putTitle(tx, t); err != nil {
				return err
			}
			added = append(added, t.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("studio: importing %s: %w", path, err)
	}
	backup := path + importedSuffix
	if err := os.Rename(path, backup); err != nil {
		// Imported all the same; the next start imports nothing twice.
		s.log.Warn("studio: the imported catalog file could not be set aside", "file", path, "err", err)
		backup = path
	}
	s.log.Info("studio: catalog file imported into the database", "file", path, "backup", backup, "titles", len(added), "revision", rev)
	if len(kept) > 0 {
		s.log.Warn("studio: titles of the catalog file were in the database already and stay as it has them", "titles", kept)
	}
	return nil
}
