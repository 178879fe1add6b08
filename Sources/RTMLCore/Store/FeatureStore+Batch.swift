import GRDB

#if _endian(big)
#error("the store writes vectors as the host's float32 bytes, which must be little-endian")
#endif

/// Where a user's latest history row finds one vector column's value.
struct VectorRef: Equatable {
    /// The history row holding the vector; nil when the value is NULL.
    var row: Int64?
    /// Hash128 of the vector's bytes, to see whether the next one differs.
    var hash: Hash128?
}

/// The write path's prepared statements, made once per connection.
final class WriteStatements {
    let upsertFeatures, insertHistory, insertWindow: RawStatement
    let insertSequenceId, insertItemId: RawStatement
    let upsertCheckpoint, upsertUserState, deleteUserState, upsertWindowState, deleteWindowState: RawStatement
    let upsertPrediction: RawStatement
    /// The multi-row forms (`StoreSchema.rowsPerInsert` rows each).
    let insertHistoryRows, insertWindowRows: RawStatement
    let allHistoryPointers: RawStatement
    let vectorAtRow: [RawStatement]

    init(_ db: Database, path: String) throws {
        guard let c = db.sqliteConnection else { throw RTMLError("\(path): the store is closed") }
        func make(_ sql: String, _ table: String) throws -> RawStatement {
            try RawStatement(connection: c, sql: sql, path: path, table: table)
        }
        upsertFeatures = try make(StoreSchema.upsertFeaturesSQL, "features")
        insertHistory = try make(StoreSchema.insertHistorySQL, "feature_history")
        insertWindow = try make(StoreSchema.insertWindowSQL, "user_windows")
        insertSequenceId = try make(StoreSchema.insertSequenceIdSQL, "sequence_ids")
        insertItemId = try make(StoreSchema.insertItemIdSQL, "item_ids")
        upsertCheckpoint = try make(StoreSchema.upsertCheckpointSQL, "checkpoint")
        upsertUserState = try make(StoreSchema.upsertUserStateSQL, "state_users")
        deleteUserState = try make(StoreSchema.deleteUserStateSQL, "state_users")
        upsertWindowState = try make(StoreSchema.upsertWindowStateSQL, "state_windows")
        deleteWindowState = try make(StoreSchema.deleteWindowStateSQL, "state_windows")
        upsertPrediction = try make(StoreSchema.upsertPredictionSQL, "predictions")
        let n = StoreSchema.rowsPerInsert
        insertHistoryRows = try make(StoreSchema.insertSQL("feature_history", StoreSchema.historyInsertColumns, rows: n), "feature_history")
        insertWindowRows = try make(StoreSchema.insertSQL("user_windows", StoreSchema.windowInsertColumns, rows: n), "user_windows")
        allHistoryPointers = try make(StoreSchema.allHistoryPointersSQL, "feature_history")
        vectorAtRow = try StoreSchema.vectorColumnIndices.map { try make(StoreSchema.vectorAtRowSQL($0), "feature_history") }
    }

    func finalizeAll() {
        for s in [upsertFeatures, insertHistory, insertWindow, insertSequenceId, insertItemId,
                  upsertCheckpoint, upsertUserState, deleteUserState, upsertWindowState, deleteWindowState,
                  upsertPrediction, allHistoryPointers, insertHistoryRows, insertWindowRows] + vectorAtRow {
            s.finalize()
        }
    }
}

extension FeatureStore {
    /// Runs one micro-batch: everything written through the batch commits
    /// together, or — when `body` throws or the commit fails — nothing does,
    /// and the ids assigned inside are forgotten so the next attempt
    /// assigns them again. The error `body` threw is rethrown as it is.
    ///
    /// The transaction is IMMEDIATE: it takes the write lock at the start
    /// (waiting up to the busy timeout for another writer), so it never
    /// fails half-way for a lock.
    public func transaction(_ body: (Batch) throws -> Void) throws {
        try guardUsable()
        try guardWritable()
        isInTransaction = true
        userIds.beginTransaction()
        itemIds.beginTransaction()
        let fingerprintAtBegin = fingerprint
        let dirtyAtBegin = fingerprintDirty
        let idsLoadedAtBegin = idsLoaded
        var bodyError: Error?
        do {
            try queue.writeWithoutTransaction { db in
                if statements == nil { statements = try WriteStatements(db, path: path) }
                let batch = Batch(store: self, db: db, statements: statements!)
                defer { batch.isValid = false }
                try db.inTransaction(.immediate) {
                    do {
                        try body(batch)
                    } catch {
                        bodyError = error
                        throw error
                    }
                    if fingerprintDirty {
                        try db.execute(
                            sql: "INSERT INTO meta (key, value) VALUES ('sequence_map_fingerprint', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            arguments: [fingerprint.hex])
                    }
                    return .commit
                }
            }
        } catch {
            isInTransaction = false
            // Row ids and vector pointers of the rolled-back rows may be reused: reload them lazily.
            vectorRefs.removeAll()
            vectorRefsLoaded = false
            nextHistoryRowId = nil
            if idsLoadedAtBegin {
                userIds.rollback()
                itemIds.rollback()
                fingerprint = fingerprintAtBegin
                fingerprintDirty = dirtyAtBegin
            } else {
                userIds = DenseIdMap()
                itemIds = DenseIdMap()
                fingerprint = SequenceMapFingerprint()
                fingerprintDirty = false
                idsLoaded = false
            }
            if let bodyError { throw bodyError }
            throw StoreErrors.writing(path, error, table: nil, busyTimeout: busyTimeout)
        }
        isInTransaction = false
        userIds.commit()
        itemIds.commit()
        if fingerprintDirty {
            sequenceMapFingerprint = fingerprint.hex
            fingerprintDirty = false
        }
    }

    /// Loads both id maps (once per instance, inside a write transaction).
    func loadIds(_ db: Database) throws {
        guard !idsLoaded else { return }
        var users = DenseIdMap()
        var items = DenseIdMap()
        var print = SequenceMapFingerprint()
        let userRows = try Row.fetchCursor(db, sql: "SELECT user_id, seq_id FROM sequence_ids")
        while let row = try userRows.next() {
            let key: String = row[0], id: Int64 = row[1]
            users.load(key, id)
            print.add(kind: .user, key: key, seqId: id)
        }
        let itemRows = try Row.fetchCursor(db, sql: "SELECT content_id, seq_id FROM item_ids")
        while let row = try itemRows.next() {
            let key: String = row[0], id: Int64 = row[1]
            items.load(key, id)
            print.add(kind: .item, key: key, seqId: id)
        }
        users.beginTransaction()
        items.beginTransaction()
        userIds = users
        itemIds = items
        fingerprint = print
        let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sequence_map_fingerprint'")
        // A mapping edited by hand (or by an older writer) gets its fingerprint corrected at this commit.
        fingerprintDirty = stored != print.hex
        idsLoaded = true
    }

    /// The writes of one micro-batch. Valid only inside the
    /// ``FeatureStore/transaction(_:)`` call that made it.
    public final class Batch {
        // Unsafe: a batch lives only inside the store's own `transaction`
        // call, so the store outlives it; a checked unowned reference cost a
        // retain and release on every row the writer bound.
        unowned(unsafe) let store: FeatureStore
        let db: Database
        let s: WriteStatements
        var isValid = true

        init(store: FeatureStore, db: Database, statements: WriteStatements) {
            self.store = store
            self.db = db
            self.s = statements
        }

        @inline(__always) private func check() throws {
            guard isValid else { throw RTMLError("\(store.path): a batch was used after its transaction ended") }
        }

        /// Writes the user's online row, unless the stored one has a newer
        /// `event_ts` (an equal one is replaced).
        public func upsertFeatures(_ row: FeatureRow) throws {
            try upsertFeatures(PackedFeatureRow(validating: row, context: store.path))
        }

        /// `upsertFeatures` of a packed row (featurize's).
        public func upsertFeatures(_ row: PackedFeatureRow) throws {
            try withUnsafePointer(to: row) { try upsertFeatures($0) }
        }

        /// `upsertFeatures` of a packed row read in place.
        func upsertFeatures(_ row: UnsafePointer<PackedFeatureRow>) throws {
            try check()
            let st = s.upsertFeatures
            st.bind(1, row.pointee.userId)
            StoreSchema.featureTypes.withUnsafeBufferPointer { types in
                for k in 0..<types.count { bindValue(st, Int32(k) + 2, row, k, types[k]) }
            }
            let index = Int32(StoreSchema.featureTypes.count) + 2
            st.bind(index, row.pointee.eventTs)
            st.bind(index + 1, row.pointee.updatedAt)
            try st.run()
        }

        /// Appends a row to `feature_history`, with the event that made it
        /// (its `message_id`, content and position columns; the `events`
        /// view shows it) or without one (those columns NULL). Each vector
        /// column is stored only when it differs from the user's previous
        /// history row (by insertion order); its `<name>_row` column points
        /// at the row that holds the value (NULL when the value is NULL).
        public func insertHistory(_ row: FeatureRow, event: StoredEvent? = nil) throws {
            try check()
            let packed = try PackedFeatureRow(validating: row, context: store.path)
            var events: HistoryEvents?
            if let event {
                // The buffer form below binds the event's name as last_event: the row's must be it.
                if case .text(let name) = row.values[StoreSchema.lastEventIndex], name == event.event {} else {
                    throw notTheRowsEvent(event, row.userId, row.eventTs)
                }
                events = HistoryEvents()
                events!.append(event)
            }
            try withUnsafePointer(to: packed) {
                try insertHistory(UnsafeBufferPointer(start: $0, count: 1), events: events)
            }
        }

        /// Appends rows to `feature_history` as `insertHistory` does one by
        /// one, `StoreSchema.rowsPerInsert` per statement. `events`, when
        /// given, holds row i's event at i: the event that made the row, so
        /// its user, time and arrival are the row's (checked) and its name
        /// is the row's `last_event` (bound from the event).
        public func insertHistory(_ rows: UnsafeBufferPointer<PackedFeatureRow>, events: HistoryEvents? = nil) throws {
            try check()
            if let events, events.count != rows.count {
                throw RTMLError("\(store.path): \(rows.count) history rows came with \(events.count) events")
            }
            guard let first = rows.baseAddress else { return }
            let n = StoreSchema.rowsPerInsert
            let width = Int32(StoreSchema.historyInsertColumns.count)
            // Rows and events are read in place through pointers: copying
            // one (as `rows[i]` would) retains and releases each of its references.
            try StoreSchema.featureTypes.withUnsafeBufferPointer { types in
                try (events?.entries ?? []).withUnsafeBufferPointer { entries in
                    try (events?.text.bytes ?? []).withUnsafeBytes { eventText in
                        let firstEvent = events == nil ? nil : entries.baseAddress
                        var i = 0
                        while rows.count - i >= n {
                            for k in 0..<n {
                                try bindHistory(first + i + k, event: firstEvent.map { $0 + i + k }, eventText: eventText, types: types,
                                                to: s.insertHistoryRows, at: Int32(k) * width)
                            }
                            try s.insertHistoryRows.run()
                            i += n
                        }
                        while i < rows.count {
                            try bindHistory(first + i, event: firstEvent.map { $0 + i }, eventText: eventText, types: types,
                                            to: s.insertHistory, at: 0)
                            try s.insertHistory.run()
                            i += 1
                        }
                    }
                }
            }
        }

        private func notTheRowsEvent(_ e: StoredEvent, _ userId: String, _ eventTs: Int64) -> RTMLError {
            RTMLError(
                "\(store.path): event \(e.messageId) (user '\(e.userId)', time \(e.eventTs), \(e.event)) does not belong to the history row of user '\(userId)' at \(eventTs)")
        }

        /// Binds one history row at parameters `offset + 1...` and moves the
        /// row id and the user's vector pointers on (as if it were inserted).
        /// The event's strings are bound from `eventText` (its `HistoryEvents`' bytes) where they are.
        private func bindHistory(
            _ row: UnsafePointer<PackedFeatureRow>, event: UnsafePointer<HistoryEvents.Entry>?, eventText: UnsafeRawBufferPointer,
            types: UnsafeBufferPointer<FeatureSchema.ColumnType>, to st: RawStatement, at offset: Int32
        ) throws {
            func bindText(_ index: Int32, _ span: TextSpan) {
                if span.count < 0 { st.bindNull(index) } else { st.bindText(index, TextBuffer.utf8(span, in: eventText)) }
            }
            func spanEquals(_ span: TextSpan, _ s: String) -> Bool {
                span.count >= 0 && s.utf8.elementsEqual(TextBuffer.utf8(span, in: eventText))
            }
            if let event, event.pointee.eventTs != row.pointee.eventTs || event.pointee.receivedAt != row.pointee.updatedAt
                || !spanEquals(event.pointee.userId, row.pointee.userId) {
                let e = HistoryEvents.event(event.pointee, eventText)
                throw notTheRowsEvent(e, row.pointee.userId, row.pointee.eventTs)
            }
            let rowId = try nextRowId()
            // The user's entry, changed in place below: one hash lookup per row.
            let refsIndex = try vectorRefsIndex(forUser: row.pointee.userId)
            st.bind(offset + 1, rowId)
            if let event { bindText(offset + 2, event.pointee.userId) } else { st.bind(offset + 2, row.pointee.userId) }
            var index: Int32 = offset + 3
            for k in 0..<types.count {
                if types[k] == .vector {
                    // The packed row's one vector column.
                    if row.pointee.isNull(k) {
                        st.bindNull(index)
                        st.bindNull(index + 1)
                        if store.vectorRefs.values[refsIndex].row != nil {
                            store.vectorRefs.values[refsIndex] = VectorRef(row: nil, hash: nil)
                        }
                    } else {
                        let hash = row.pointee.vectorHash
                        let previous = store.vectorRefs.values[refsIndex]
                        if let prior = previous.row, previous.hash == hash {
                            st.bindNull(index)
                            st.bind(index + 1, prior)
                        } else {
                            row.pointee.vector.withUnsafeBytes { st.bind(index, bytes: $0) }
                            st.bind(index + 1, rowId)
                            store.vectorRefs.values[refsIndex] = VectorRef(row: rowId, hash: hash)
                        }
                    }
                    index += 2
                } else if let event, k == StoreSchema.lastEventIndex {
                    bindText(index, event.pointee.event)
                    index += 1
                } else {
                    bindValue(st, index, row, k, types[k])
                    index += 1
                }
            }
            st.bind(index, row.pointee.eventTs)
            st.bind(index + 1, row.pointee.updatedAt)
            index += 2
            if let event {
                bindText(index, event.pointee.messageId)
                bindText(index + 1, event.pointee.contentId)
                bindText(index + 2, event.pointee.category)
                let nulls = event.pointee.nullNumbers
                if nulls & 1 != 0 { st.bindNull(index + 3) } else { st.bind(index + 3, event.pointee.durationSec) }
                if nulls & 2 != 0 { st.bindNull(index + 4) } else { st.bind(index + 4, event.pointee.positionSec) }
                if nulls & 4 != 0 { st.bindNull(index + 5) } else { st.bind(index + 5, event.pointee.rating) }
            } else {
                for k in 0..<Int32(StoreSchema.eventColumns.count) { st.bindNull(index + k) }
            }
            store.nextHistoryRowId = rowId + 1
        }

        /// Appends a finalised window to `user_windows` (a window already there is an error).
        public func insertWindow(_ window: WindowCount) throws {
            try insertWindows(FinalWindows([window]))
        }

        /// Appends windows to `user_windows`, `StoreSchema.rowsPerInsert` per statement.
        public func insertWindows(_ windows: UnsafeBufferPointer<WindowCount>) throws {
            try insertWindows(FinalWindows(windows))
        }

        /// `insertWindows` from the compact list (featurize's), its strings bound where they are.
        public func insertWindows(_ windows: FinalWindows) throws {
            try check()
            try windows.text.bytes.withUnsafeBytes { text in
                try windows.entries.withUnsafeBufferPointer { entries in
                    try insertRows(entries, many: s.insertWindowRows, one: s.insertWindow, width: 5) { w, st, offset in
                        st.bindText(offset + 1, TextBuffer.utf8(w.userId, in: text))
                        st.bindText(offset + 2, TextBuffer.utf8(w.event, in: text))
                        st.bind(offset + 3, w.windowStart)
                        st.bind(offset + 4, w.windowEnd)
                        st.bind(offset + 5, w.count)
                    }
                }
            }
        }

        /// Full multi-row statements, then the rest one row at a time.
        @inline(__always)
        private func insertRows<Row>(
            _ rows: UnsafeBufferPointer<Row>, many: RawStatement, one: RawStatement, width: Int32,
            bind: (Row, RawStatement, Int32) -> Void
        ) throws {
            let n = StoreSchema.rowsPerInsert
            var i = 0
            while rows.count - i >= n {
                for k in 0..<n { bind(rows[i + k], many, Int32(k) * width) }
                try many.run()
                i += n
            }
            while i < rows.count {
                bind(rows[i], one, 0)
                try one.run()
                i += 1
            }
        }

        /// The user's dense sequence id, assigning the next one when the user is new.
        public func sequenceId(forUser userId: String) throws -> Int64 {
            try check()
            try store.loadIds(db)
            if let id = store.userIds[userId] { return id }
            return try assignId(userId, kind: .user)
        }

        /// The content's dense item id, assigning the next one when the content is new.
        public func itemId(forContent contentId: String) throws -> Int64 {
            try check()
            try store.loadIds(db)
            if let id = store.itemIds[contentId] { return id }
            return try assignId(contentId, kind: .item)
        }

        /// Assigns the next id of one of the two maps to a new key: records
        /// it and folds it into the fingerprint.
        private func assignId(_ key: String, kind: SequenceMapFingerprint.Kind) throws -> Int64 {
            let st = kind == .user ? s.insertSequenceId : s.insertItemId
            let id = kind == .user ? store.userIds.next : store.itemIds.next
            st.bind(1, key)
            st.bind(2, id)
            try st.run()
            if kind == .user { _ = store.userIds.assign(key) } else { _ = store.itemIds.assign(key) }
            store.fingerprint.add(kind: kind, key: key, seqId: id)
            store.fingerprintDirty = true
            return id
        }

        public func setCheckpoint(_ key: String, _ value: [UInt8]) throws {
            try check()
            let st = s.upsertCheckpoint
            st.bind(1, key)
            value.withUnsafeBytes { st.bind(2, bytes: $0) }
            try st.run()
        }

        /// Stores a user's engine state; nil deletes it.
        public func putUserState(_ userId: String, _ state: [UInt8]?) throws {
            try check()
            if let state {
                let st = s.upsertUserState
                st.bind(1, userId)
                state.withUnsafeBytes { st.bind(2, bytes: $0) }
                try st.run()
            } else {
                let st = s.deleteUserState
                st.bind(1, userId)
                try st.run()
            }
        }

        /// Stores an open window's count; nil deletes it.
        public func putWindowState(userId: String, event: String, windowStart: Int64, count: Int64?) throws {
            try check()
            if let count {
                let st = s.upsertWindowState
                st.bind(1, userId)
                st.bind(2, event)
                st.bind(3, windowStart)
                st.bind(4, count)
                try st.run()
            } else {
                let st = s.deleteWindowState
                st.bind(1, userId)
                st.bind(2, event)
                st.bind(3, windowStart)
                try st.run()
            }
        }

        /// Deletes every open window's row of `state_windows` (featurize now
        /// keeps open windows inside the user states; older stores had rows).
        public func deleteAllWindowStates() throws {
            try check()
            do {
                try db.execute(sql: "DELETE FROM state_windows")
            } catch {
                throw StoreErrors.writing(store.path, error, table: "state_windows", busyTimeout: store.busyTimeout)
            }
        }

        /// Writes a prediction unless the stored one for the user and model is newer.
        public func upsertPrediction(_ p: StoredPrediction) throws {
            try check()
            let st = s.upsertPrediction
            st.bind(1, p.userId)
            st.bind(2, p.model)
            st.bind(3, p.version)
            st.bind(4, p.jobId)
            st.bind(5, p.itemsJSON)
            st.bind(6, Int64(p.coldStart ? 1 : 0))
            if let t = p.eventTime { st.bind(7, t) } else { st.bindNull(7) }
            st.bind(8, p.predictedAt)
            try st.run()
        }

        /// Sets a meta key inside this micro-batch (e.g. the feature config).
        public func setMeta(_ key: String, _ value: String) throws {
            try check()
            if ["schema_version", "store_id", "sequence_map_fingerprint", "color"].contains(key) {
                throw RTMLError("\(store.path): meta key '\(key)' is kept by the store and cannot be set")
            }
            do {
                try db.execute(
                    sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [key, value])
            } catch {
                throw StoreErrors.writing(store.path, error, table: "meta", busyTimeout: store.busyTimeout)
            }
        }

        // MARK: Helpers

        /// Binds column k of a packed row (the vector column only where it is stored whole, in `features`).
        @inline(__always) private func bindValue(
            _ st: RawStatement, _ index: Int32, _ row: UnsafePointer<PackedFeatureRow>, _ k: Int, _ type: FeatureSchema.ColumnType
        ) {
            if row.pointee.isNull(k) {
                st.bindNull(index)
                return
            }
            switch type {
            case .integer: st.bind(index, row.pointee.integer(k))
            case .real: st.bind(index, row.pointee.real(k))
            case .text: st.bind(index, row.pointee.text)
            case .vector: row.pointee.vector.withUnsafeBytes { st.bind(index, bytes: $0) }
            }
        }

        private func nextRowId() throws -> Int64 {
            if let next = store.nextHistoryRowId { return next }
            let maxId = try Int64.fetchOne(db, sql: StoreSchema.maxHistoryRowIdSQL) ?? 0
            store.nextHistoryRowId = maxId + 1
            return maxId + 1
        }

        /// The user's vector pointers as of their latest history row. The
        /// first call of an instance (or after a rollback) loads every
        /// user's by one scan of the table in row_id order: the table has no
        /// per-user index while featurize writes, and one scan costs less
        /// than an index maintained under inserts.
        ///
        /// Returns the position of the user's entry in `store.vectorRefs`
        /// (added, NULL, for a user without history), valid until the
        /// dictionary gets another key.
        private func vectorRefsIndex(forUser userId: String) throws -> Dictionary<String, VectorRef>.Index {
            if !store.vectorRefsLoaded { try loadAllVectorRefs() }
            if let i = store.vectorRefs.index(forKey: userId) { return i }
            store.vectorRefs[userId] = VectorRef(row: nil, hash: nil)
            return store.vectorRefs.index(forKey: userId)!
        }

        /// The schema's one vector column (`PackedFeatureRow.Layout`).
        private func loadAllVectorRefs() throws {
            precondition(StoreSchema.vectorColumnIndices == [PackedFeatureRow.Layout.vectorColumn])
            var refs: [String: VectorRef] = [:]
            var pointers: [String: Int64] = [:]
            let all = s.allHistoryPointers
            defer { all.reset() }
            while try all.step() {
                pointers[all.columnText(0)] = all.columnIsNull(1) ? nil : all.columnInt64(1)
            }
            all.reset()
            // One hash per distinct vector row, shared by the users that point at it.
            var hashes: [Int64: Hash128?] = [:]
            for (user, pointer) in pointers {
                let hash: Hash128?
                if let known = hashes[pointer] {
                    hash = known
                } else {
                    let at = s.vectorAtRow[0]
                    at.bind(1, pointer)
                    hash = try at.step() && !at.columnIsNull(0) ? Hash128(at.columnBytes(0)) : nil
                    at.reset()
                    hashes[pointer] = hash
                }
                if let hash { refs[user] = VectorRef(row: pointer, hash: hash) }
            }
            store.vectorRefs = refs
            store.vectorRefsLoaded = true
        }
    }
}
