<?php
Route::get('/up', fn () => 'ok');
