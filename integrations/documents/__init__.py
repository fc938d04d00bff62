"""The file store: content-addressed blobs on disk (S3-compatible later), and uploading files to
a dossier with size and type limits."""
